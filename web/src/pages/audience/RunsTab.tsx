// The Runs tab: the last 50 runs with step timings and change summary.
import { Card, Loader, Table, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, call, type Audience } from '../../api/client';
import { RunStatusBadge } from '../../components/StatusBadge';
import { fmtMs, fmtNum, fmtTime } from '../../format';

export function RunsTab({ a }: { a: Audience }) {
  const runs = useQuery({
    queryKey: ['runs', a.key],
    queryFn: () => call(api.GET('/api/v1/audiences/{key}/runs', { params: { path: { key: a.key }, query: { limit: 50 } } })),
    refetchInterval: 5000,
  });
  if (!runs.data) return <Loader />;
  const items = runs.data.items;
  return (
    <Card withBorder p={0}>
      <Table verticalSpacing="sm" data-testid="runs-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Run</Table.Th>
            <Table.Th>Started</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th ta="right">Duration</Table.Th>
            <Table.Th ta="right">Queueing</Table.Th>
            <Table.Th ta="right">Extracting</Table.Th>
            <Table.Th ta="right">Preparing</Table.Th>
            <Table.Th>Changes</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>
                <Text size="sm" fw={600}>
                  #{r.id}
                </Text>
                <Text size="xs" c="dimmed">
                  {r.reason} · v{r.definition_version}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{fmtTime(r.started_at ?? r.queued_at)}</Text>
              </Table.Td>
              <Table.Td>
                <Tooltip label={r.error ?? r.progress ?? ''} disabled={!r.error && !r.progress}>
                  <span>
                    <RunStatusBadge status={r.status} />
                  </span>
                </Tooltip>
              </Table.Td>
              <Table.Td ta="right">{fmtMs(r.duration_ms)}</Table.Td>
              <Table.Td ta="right">{r.steps ? fmtMs(r.steps.queueing_ms) : ''}</Table.Td>
              <Table.Td ta="right">{r.steps ? fmtMs(r.steps.extracting_ms) : ''}</Table.Td>
              <Table.Td ta="right">{r.steps ? fmtMs(r.steps.preparing_ms) : ''}</Table.Td>
              <Table.Td>
                {r.summary ? (
                  <Text size="xs">
                    {fmtNum(r.summary.members)} members · profiles +{fmtNum(r.summary.profiles?.entered)} −{fmtNum(r.summary.profiles?.exited)} · entities +
                    {fmtNum(r.summary.entities?.entered)} −{fmtNum(r.summary.entities?.exited)}
                    {Object.entries(r.summary.activations ?? {}).map(([k, v]) => ` · ${k}: ${fmtNum(v.queued)} queued`)}
                  </Text>
                ) : (
                  <Text size="xs" c="dimmed">
                    {r.status === 'completed' ? 'no changes' : ''}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {items.length === 0 && (
        <Text c="dimmed" p="lg" ta="center">
          No run yet.
        </Text>
      )}
    </Card>
  );
}

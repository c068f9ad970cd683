// The delivery overview: the six-step pipeline with counts, filtered by activation, event and time range; each step
// but pending retry opens the list of its events with the reason.
import { BarChart } from '@mantine/charts';
import { Alert, Badge, Card, Group, Loader, Paper, Select, SimpleGrid, Stack, Table, Text, Title, UnstyledButton } from '@mantine/core';
import { IconChevronRight } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, call, type Schemas } from '../api/client';
import { fmtNum, fmtTime } from '../format';

type Step = Schemas['OverviewStep'];
type CountKey = keyof Schemas['OverviewCounts'];

export const PIPELINE: { key: CountKey; label: string; step: Step | null; color: string }[] = [
  { key: 'from_audience', label: 'Events from audience', step: 'from_audience', color: 'violet' },
  { key: 'filtered_at_source', label: 'Filtered at source', step: 'filtered_at_source', color: 'gray' },
  { key: 'filtered_at_destination', label: 'Filtered at destination', step: 'filtered_at_destination', color: 'gray' },
  { key: 'pending_retry', label: 'Pending retry', step: null, color: 'yellow' },
  { key: 'failed', label: 'Failed delivery', step: 'failed', color: 'red' },
  { key: 'delivered', label: 'Successful delivery', step: 'delivered', color: 'teal' },
];

const RANGES = [
  { value: '1h', label: 'Last hour', ms: 3600e3, bucket: '15m' },
  { value: '24h', label: 'Last 24 hours', ms: 86400e3, bucket: '1h' },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86400e3, bucket: '1d' },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86400e3, bucket: '1d' },
  { value: 'all', label: 'All time', ms: 0, bucket: '1d' },
];

export function DeliveryOverview() {
  const [params, setParams] = useSearchParams();
  const activation = params.get('activation');
  const event = params.get('event');
  const range = params.get('range') ?? 'all';
  const [step, setStep] = useState<Step | null>(null);
  const set = (k: string, v: string | null) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k === 'activation') next.delete('event');
    setParams(next);
  };
  const r = RANGES.find((x) => x.value === range) ?? RANGES[4];
  // The range's start, fixed for the page's life so the query key stays stable.
  const from = useMemo(() => (r.ms ? new Date(Date.now() - r.ms).toISOString() : undefined), [r.ms]);
  const filter = { ...(activation ? { activation } : {}), ...(event ? { event } : {}), ...(from ? { from } : {}) };
  const acts = useQuery({ queryKey: ['activations'], queryFn: () => call(api.GET('/api/v1/activations')) });
  const overview = useQuery({ queryKey: ['overview', filter], queryFn: () => call(api.GET('/api/v1/overview', { params: { query: filter } })), refetchInterval: 5000 });
  const buckets = useQuery({
    queryKey: ['overview', filter, r.bucket],
    queryFn: () => call(api.GET('/api/v1/overview', { params: { query: { ...filter, bucket: r.bucket } } })),
    refetchInterval: 15_000,
  });
  const allRows = useQuery({ queryKey: ['overview', 'events-of', activation], queryFn: () => call(api.GET('/api/v1/overview', { params: { query: activation ? { activation } : {} } })) });
  const events = [...new Set((allRows.data?.rows ?? []).map((x) => x.event))];
  const chart = useMemo(() => {
    const by = new Map<string, { bucket: string; delivered: number; failed: number; filtered: number }>();
    for (const row of buckets.data?.rows ?? []) {
      const k = row.bucket_start ?? '';
      const e = by.get(k) ?? { bucket: fmtTime(k), delivered: 0, failed: 0, filtered: 0 };
      e.delivered += row.delivered;
      e.failed += row.failed;
      e.filtered += row.filtered_at_source + row.filtered_at_destination;
      by.set(k, e);
    }
    return [...by.entries()].sort((a, b) => a[0].localeCompare(b[0])).map((x) => x[1]);
  }, [buckets.data]);

  const t = overview.data?.total;
  return (
    <Stack>
      <div>
        <Title order={1} size="h2">
          Delivery overview
        </Title>
        <Text c="dimmed" size="sm">
          Every event an audience produced, and what became of it.
        </Text>
      </div>
      <Group>
        <Select
          label="Activation"
          placeholder="All activations"
          data={(acts.data?.items ?? []).map((a) => a.key)}
          value={activation}
          onChange={(v) => set('activation', v)}
          clearable
          w={280}
        />
        <Select label="Event" placeholder="All events" data={events} value={event} onChange={(v) => set('event', v)} clearable w={220} />
        <Select label="Time range" data={RANGES.map(({ value, label }) => ({ value, label }))} value={range} onChange={(v) => set('range', v)} allowDeselect={false} w={180} />
      </Group>
      {overview.error && <Alert color="red">{overview.error.message}</Alert>}
      {!t ? (
        <Loader />
      ) : (
        <SimpleGrid cols={{ base: 2, md: 3, xl: 6 }} spacing="xs" data-testid="pipeline">
          {PIPELINE.map((p, i) => {
            const body = (
              <Paper withBorder p="md" h="100%" style={{ borderTop: `3px solid var(--mantine-color-${p.color}-6)`, background: step && step === p.step ? 'var(--mantine-color-violet-0)' : undefined }}>
                <Group justify="space-between" wrap="nowrap">
                  <Text size="xs" c="dimmed" fw={700} tt="uppercase">
                    {i + 1}. {p.label}
                  </Text>
                  {p.step && <IconChevronRight size={14} />}
                </Group>
                <Text fz={28} fw={700} data-testid={`count-${p.key}`}>
                  {fmtNum(t[p.key])}
                </Text>
                {p.key === 'pending_retry' && (
                  <Text size="xs" c="dimmed">
                    {fmtNum(t.queued)} queued, not yet attempted
                  </Text>
                )}
              </Paper>
            );
            return p.step ? (
              <UnstyledButton key={p.key} className="pipeline-step" onClick={() => setStep(p.step)} aria-label={`${p.label}: ${t[p.key]} events, show them`} aria-pressed={step === p.step}>
                {body}
              </UnstyledButton>
            ) : (
              <div key={p.key}>{body}</div>
            );
          })}
        </SimpleGrid>
      )}
      {chart.length > 0 && (
        <Card withBorder>
          <Text fw={600} mb="xs">
            Events per {r.bucket}
          </Text>
          <BarChart
            h={200}
            data={chart}
            dataKey="bucket"
            type="stacked"
            series={[
              { name: 'delivered', color: 'teal.6' },
              { name: 'filtered', color: 'gray.5' },
              { name: 'failed', color: 'red.6' },
            ]}
          />
        </Card>
      )}
      {overview.data && overview.data.rows.length > 0 && (
        <Card withBorder p={0}>
          <Table verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Activation</Table.Th>
                <Table.Th>Event</Table.Th>
                {PIPELINE.map((p) => (
                  <Table.Th key={p.key} ta="right">
                    {p.label}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {overview.data.rows.map((row, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{row.activation}</Table.Td>
                  <Table.Td>{row.event}</Table.Td>
                  {PIPELINE.map((p) => (
                    <Table.Td key={p.key} ta="right" ff="monospace">
                      {fmtNum(row[p.key])}
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      {step && <StepEvents step={step} filter={filter} />}
    </Stack>
  );
}

function StepEvents({ step, filter }: { step: Step; filter: Record<string, string> }) {
  const q = useQuery({
    queryKey: ['overview-events', step, filter],
    queryFn: () => call(api.GET('/api/v1/overview/{step}', { params: { path: { step }, query: { ...filter, limit: 100 } } })),
  });
  const label = PIPELINE.find((p) => p.step === step)?.label;
  return (
    <Card withBorder p={0}>
      <Group p="sm" justify="space-between">
        <Title order={2} size="h4">
          {label}
        </Title>
        <Text size="xs" c="dimmed">
          the latest 100 events
        </Text>
      </Group>
      {!q.data ? (
        <Loader m="md" />
      ) : (
        <Table verticalSpacing="xs" data-testid="step-events">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Queued</Table.Th>
              <Table.Th>Activation</Table.Th>
              <Table.Th>Event</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th ta="right">Attempts</Table.Th>
              <Table.Th ta="right">Code</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Message ID</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data.events.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>
                  <Text size="xs">{fmtTime(e.queued_at)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{e.activation}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{e.event}</Text>
                </Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="light" color={e.status === 'delivered' ? 'teal' : e.status === 'failed' ? 'red' : 'gray'}>
                    {e.status}
                    {e.filter_stage ? ` (${e.filter_stage})` : ''}
                  </Badge>
                </Table.Td>
                <Table.Td ta="right">{e.attempts}</Table.Td>
                <Table.Td ta="right">{e.status_code || ''}</Table.Td>
                <Table.Td>
                  <Text size="xs">{e.reason}</Text>
                </Table.Td>
                <Table.Td className="mono">{e.message_id.slice(0, 13)}…</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {q.data && q.data.events.length === 0 && (
        <Text c="dimmed" p="md" size="sm">
          No event at this step.
        </Text>
      )}
    </Card>
  );
}

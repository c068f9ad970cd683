import { Anchor, Badge, Button, Card, Group, NavLink, Paper, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconFolder, IconPlus, IconSearch, IconStack2 } from '@tabler/icons-react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { api, call } from '../api/client';
import { useCan } from '../auth';
import { EnabledBadge, RunStatusBadge } from '../components/StatusBadge';
import { fmtNum, fmtSchedule, fmtTime } from '../format';

export function AudiencesList() {
  const canEdit = useCan('edit_audiences');
  const [q, setQ] = useState('');
  const [folder, setFolder] = useState<string | null>(null);
  const [debounced] = useDebouncedValue(q, 200);
  const all = useQuery({ queryKey: ['audiences', 'all'], queryFn: () => call(api.GET('/api/v1/audiences', { params: { query: { limit: 1000 } } })) });
  const list = useQuery({
    queryKey: ['audiences', { q: debounced, folder }],
    queryFn: () =>
      call(
        api.GET('/api/v1/audiences', {
          params: { query: { limit: 1000, ...(debounced ? { q: debounced } : {}), ...(folder !== null ? { folder } : {}) } },
        }),
      ),
    refetchInterval: 15_000,
    placeholderData: keepPreviousData,
  });
  const folders = useMemo(() => {
    const counts = new Map<string, number>();
    for (const a of all.data?.items ?? []) counts.set(a.folder, (counts.get(a.folder) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  }, [all.data]);

  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={1} size="h2">
            Audiences
          </Title>
          <Text c="dimmed" size="sm">
            Profiles selected by their traits, events, other audiences and related entities.
          </Text>
        </div>
        {canEdit && (
          <Button component={Link} to="/audiences/new" leftSection={<IconPlus size={16} />}>
            New audience
          </Button>
        )}
      </Group>
      <Group align="flex-start" wrap="nowrap">
        <Paper withBorder p="xs" w={220} style={{ flexShrink: 0 }} component="nav" aria-label="Folders">
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="xs" py={4}>
            Folders
          </Text>
          <NavLink
            label="All audiences"
            leftSection={<IconStack2 size={16} />}
            rightSection={<Text size="xs">{all.data?.items.length ?? ''}</Text>}
            active={folder === null}
            onClick={() => setFolder(null)}
          />
          {folders.map(([f, n]) => (
            <NavLink
              key={f || '(none)'}
              label={f || 'No folder'}
              leftSection={<IconFolder size={16} />}
              rightSection={<Text size="xs">{n}</Text>}
              active={folder === f}
              onClick={() => setFolder(f)}
            />
          ))}
        </Paper>
        <Card withBorder p={0} style={{ flex: 1, minWidth: 0 }}>
          <Group p="sm">
            <TextInput
              aria-label="Search audiences"
              placeholder="Search by name, key or description"
              leftSection={<IconSearch size={16} />}
              value={q}
              onChange={(e) => setQ(e.currentTarget.value)}
              w={360}
            />
          </Group>
          <Table highlightOnHover verticalSpacing="sm" horizontalSpacing="md">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Size</Table.Th>
                <Table.Th>Schedule</Table.Th>
                <Table.Th>Last run</Table.Th>
                <Table.Th>Folder</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data?.items.map((a) => (
                <Table.Tr key={a.key} data-testid={`audience-row-${a.key}`}>
                  <Table.Td>
                    <Anchor component={Link} to={`/audiences/${encodeURIComponent(a.key)}`} fw={600}>
                      {a.name}
                    </Anchor>
                    <Text size="xs" c="dimmed" lineClamp={1} maw={360}>
                      {a.description || a.key}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <EnabledBadge enabled={a.enabled} />
                    {(a.state === 'running' || a.state === 'queued') && (
                      <Badge variant="light" color="blue" ml={6}>
                        {a.state}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace" data-testid="audience-size">
                    {fmtNum(a.size)}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <Text size="sm">{fmtSchedule(a.schedule as never)}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap" style={{ whiteSpace: 'nowrap' }}>
                      <RunStatusBadge status={a.last_run?.status} />
                      <Tooltip label={a.last_run ? `queued ${fmtTime(a.last_run.queued_at)}` : 'no run yet'}>
                        <Text size="xs" c="dimmed">
                          {fmtTime(a.last_run?.finished_at ?? a.last_run?.queued_at)}
                        </Text>
                      </Tooltip>
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{a.folder || '—'}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {list.data && list.data.items.length === 0 && (
            <Text c="dimmed" ta="center" p="xl">
              No audience matches.
            </Text>
          )}
        </Card>
      </Group>
    </Stack>
  );
}

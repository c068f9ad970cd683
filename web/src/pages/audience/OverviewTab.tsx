// The Overview tab: size, schedule, runs, enable, Run now, clone, delete, activations with their events, and the audience explorer.
import { Alert, Anchor, Badge, Button, Card, Group, Loader, Menu, Modal, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCopy, IconDots, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, call, type Audience } from '../../api/client';
import { useCan } from '../../auth';
import { Explain } from '../../builder/PreviewSheet';
import { EnabledBadge, RunStatusBadge } from '../../components/StatusBadge';
import { fmtNum, fmtSchedule, fmtTime } from '../../format';

function Stat({ label, value, sub, testId }: { label: string; value: React.ReactNode; sub?: React.ReactNode; testId?: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fz={24} fw={700} data-testid={testId}>
        {value}
      </Text>
      {sub && (
        <Text size="xs" c="dimmed">
          {sub}
        </Text>
      )}
    </Card>
  );
}

export function OverviewTab({ a }: { a: Audience }) {
  const canEdit = useCan('edit_audiences');
  const canAct = useCan('edit_activations') && useCan('edit_destinations');
  const qc = useQueryClient();
  const nav = useNavigate();
  const [cloneOpen, setCloneOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const refresh = () => qc.invalidateQueries({ queryKey: ['audience', a.key] });
  const toggle = useMutation({
    mutationFn: (on: boolean) =>
      call(on ? api.POST('/api/v1/audiences/{key}/enable', { params: { path: { key: a.key } } }) : api.POST('/api/v1/audiences/{key}/disable', { params: { path: { key: a.key } } })),
    onSuccess: refresh,
    onError: (e) => notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'red', message: e.message }),
  });
  const runNow = useMutation({
    mutationFn: () => call(api.POST('/api/v1/audiences/{key}/run', { params: { path: { key: a.key } } })),
    onSuccess: () => {
      notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'teal', message: 'Run queued' });
      refresh();
      qc.invalidateQueries({ queryKey: ['runs', a.key] });
    },
    onError: (e) => notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'red', message: e.message }),
  });
  const del = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/audiences/{key}', { params: { path: { key: a.key } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['audiences'] });
      nav('/audiences');
    },
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Switch
          label={a.enabled ? 'Enabled' : 'Disabled'}
          description={a.enabled ? (a.schedule.type === 'manual' ? 'runs when you Run now' : 'runs on its schedule') : 'enable it to compute it and deliver its changes'}
          checked={a.enabled}
          disabled={!canEdit || toggle.isPending}
          onChange={(e) => toggle.mutate(e.currentTarget.checked)}
          size="md"
          data-testid="enable-toggle"
        />
        {canEdit && (
          <Group>
            <Button leftSection={<IconPlayerPlay size={16} />} onClick={() => runNow.mutate()} loading={runNow.isPending}>
              Run now
            </Button>
            <Button variant="default" leftSection={<IconCopy size={16} />} onClick={() => setCloneOpen(true)}>
              Clone
            </Button>
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="default" aria-label="More actions" px="xs">
                  <IconDots size={18} />
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => setDeleteOpen(true)}>
                  Delete audience
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        )}
      </Group>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Stat label="Profiles in audience" value={fmtNum(a.size)} sub={a.size === null ? 'after the first run' : 'after the latest run'} testId="audience-size-stat" />
        <Stat label="Schedule" value={<Text fz={18} fw={700}>{fmtSchedule(a.schedule as never)}</Text>} />
        <Stat
          label="Latest run"
          value={<RunStatusBadge status={a.last_run?.status} />}
          sub={a.last_run ? fmtTime(a.last_run.finished_at ?? a.last_run.queued_at) : 'never'}
          testId="latest-run"
        />
        <Stat label="Next run" value={<Text fz={18} fw={700}>{a.enabled ? fmtTime(a.next_run) : '—'}</Text>} sub={a.enabled ? (a.state ?? '') : 'enable the audience to schedule it'} />
      </SimpleGrid>

      <Card withBorder>
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            Activations
          </Title>
          {canAct && (
            <Button component={Link} to={`/audiences/${encodeURIComponent(a.key)}/activations/new`} variant="light" leftSection={<IconPlus size={16} />}>
              Add activation
            </Button>
          )}
        </Group>
        <ActivationsTable a={a} />
      </Card>

      <Card withBorder>
        <Title order={2} size="h4" mb="sm">
          Audience explorer
        </Title>
        <Explorer a={a} />
      </Card>

      <CloneModal a={a} opened={cloneOpen} onClose={() => setCloneOpen(false)} />
      <Modal opened={deleteOpen} onClose={() => setDeleteOpen(false)} title="Delete this audience?">
        <Stack>
          <Text size="sm">
            Deleting <b>{a.name}</b> stops its runs. Activations must be deleted first.
          </Text>
          {del.error && <Alert color="red">{del.error.message}</Alert>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleteOpen(false)}>
              Cancel
            </Button>
            <Button color="red" onClick={() => del.mutate()} loading={del.isPending}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function ActivationsTable({ a }: { a: Audience }) {
  const overview = useQuery({
    queryKey: ['overview', 'audience', a.key],
    queryFn: () => call(api.GET('/api/v1/overview')),
    refetchInterval: 10_000,
  });
  const acts = a.activations ?? [];
  if (acts.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No activation yet: add one to send this audience&apos;s changes to a destination.
      </Text>
    );
  const rows = overview.data?.rows ?? [];
  return (
    <Table verticalSpacing="sm">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Activation</Table.Th>
          <Table.Th>Destination</Table.Th>
          <Table.Th>Trigger</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th ta="right">Events delivered</Table.Th>
          <Table.Th ta="right">Failed</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {acts.map((x) => {
          const mine = rows.filter((r) => r.activation === x.key);
          const delivered = mine.reduce((s, r) => s + r.delivered, 0);
          const failed = mine.reduce((s, r) => s + r.failed, 0);
          return (
            <Table.Tr key={x.key} data-testid={`activation-row-${x.key}`}>
              <Table.Td>
                <Anchor component={Link} to={`/activations/${encodeURIComponent(x.key)}`} fw={600}>
                  {x.key}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {x.event_name}
                </Text>
              </Table.Td>
              <Table.Td>
                <Badge variant="outline" tt="none">
                  {String(x.destination.type)}
                </Badge>{' '}
                <Text span size="xs" c="dimmed">
                  {x.action}
                </Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">
                  {x.trigger.replace('_', ' ')}
                  {x.entity ? ` (${x.entity})` : ''}
                </Text>
              </Table.Td>
              <Table.Td>
                <EnabledBadge enabled={!!x.enabled} />
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                <Anchor component={Link} to={`/delivery?activation=${encodeURIComponent(x.key)}`}>
                  {fmtNum(delivered)}
                </Anchor>
              </Table.Td>
              <Table.Td ta="right" ff="monospace" c={failed ? 'red' : undefined}>
                {fmtNum(failed)}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function Explorer({ a }: { a: Audience }) {
  const canProfiles = useCan('view_profiles');
  const [profile, setProfile] = useState<string | null>(null);
  // Pages of 10 members: the cursors of the pages before this one (empty: the first page).
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors[cursors.length - 1];
  const members = useQuery({
    queryKey: ['members', a.key, a.last_run?.id, after ?? ''],
    queryFn: () =>
      call(
        api.GET('/api/v1/audiences/{key}/members', {
          params: { path: { key: a.key }, query: after ? { limit: 10, after } : { limit: 10 } },
        }),
      ),
    enabled: canProfiles,
  });
  if (!canProfiles) return <Text size="sm" c="dimmed">Viewing profiles needs the Unify Read-only role.</Text>;
  if (!members.data) return <Loader size="sm" />;
  if (members.data.run_id === null)
    return (
      <Text size="sm" c="dimmed">
        No completed run yet: Run now, or use Preview on the Builder tab.
      </Text>
    );
  return (
    <Group align="flex-start" grow wrap="nowrap">
      <Table striped highlightOnHover data-testid="explorer-members">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Profile</Table.Th>
            <Table.Th>Identifiers</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {members.data.items.map((m) => (
            <Table.Tr key={m.profile} onClick={() => setProfile(m.profile)} style={{ cursor: 'pointer' }}>
              <Table.Td className="mono">
                <Anchor component="button" type="button" onClick={() => setProfile(m.profile)} className="mono">
                  {m.profile}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Text size="xs">{m.identifiers.map((i) => `${i.type}: ${i.value}`).join(' · ')}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
        <Table.Caption>
          <Group justify="space-between">
            <Text size="xs" c="dimmed">
              Members {fmtNum(cursors.length * 10 + 1)}–{fmtNum(cursors.length * 10 + members.data.items.length)}
            </Text>
            <Group gap="xs">
              <Button size="compact-xs" variant="default" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous
              </Button>
              <Button
                size="compact-xs"
                variant="default"
                disabled={!members.data.next_after}
                onClick={() => members.data?.next_after && setCursors([...cursors, String(members.data.next_after)])}
              >
                Next
              </Button>
            </Group>
          </Group>
        </Table.Caption>
      </Table>
      <div>
        <Text size="sm" fw={600} mb="xs">
          Why in / why not
        </Text>
        <Explain key={profile ?? ''} audience={a.key} sample={profile ?? members.data.items[0]?.profile} />
      </div>
    </Group>
  );
}

function CloneModal({ a, opened, onClose }: { a: Audience; opened: boolean; onClose: () => void }) {
  const [key, setKey] = useState(`${a.key}_copy`);
  const nav = useNavigate();
  const qc = useQueryClient();
  const m = useMutation({
    mutationFn: () => call(api.POST('/api/v1/audiences/{key}/clone', { params: { path: { key: a.key } }, body: { key } })),
    onSuccess: async (c) => {
      await qc.invalidateQueries({ queryKey: ['audiences'] });
      onClose();
      nav(`/audiences/${encodeURIComponent(c.key)}`);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Clone audience">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Stack>
          <TextInput label="Key of the copy" value={key} onChange={(e) => setKey(e.currentTarget.value)} required />
          {m.error && <Alert color="red">{m.error.message}</Alert>}
          <Group justify="flex-end">
            <Button type="submit" loading={m.isPending}>
              Clone
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

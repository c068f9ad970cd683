// An audience: Overview, Builder, Runs, Settings and Alerts tabs.
import { Alert, Anchor, Badge, Breadcrumbs, Button, Card, Group, Loader, Menu, Modal, SimpleGrid, Stack, Switch, Table, Tabs, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCopy, IconDots, IconEye, IconPlayerPlay, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, call, type Audience } from '../api/client';
import { useCan } from '../auth';
import { Builder } from '../builder/Builder';
import { Explain, PreviewSheet } from '../builder/PreviewSheet';
import { fromJson, toJson, type State } from '../builder/state';
import { AlertsPanel } from '../components/AlertsPanel';
import { EnabledBadge, RunStatusBadge } from '../components/StatusBadge';
import { fmtMs, fmtNum, fmtSchedule, fmtTime } from '../format';
import { useGraph } from '../graph';
import { useAudienceNames } from './NewAudience';
import { ScheduleEditor } from '../components/ScheduleEditor';

export function useAudience(key: string) {
  return useQuery({
    queryKey: ['audience', key],
    queryFn: () => call(api.GET('/api/v1/audiences/{key}', { params: { path: { key } } })),
    refetchInterval: (q) => (q.state.data?.state === 'running' || q.state.data?.state === 'queued' ? 2000 : 15_000),
  });
}

export function AudiencePage() {
  const { key = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'overview';
  const q = useAudience(key);
  if (q.isPending) return <Loader />;
  if (q.error) return <Alert color="red">{q.error.message}</Alert>;
  const a = q.data;
  return (
    <Stack>
      <div>
        <Breadcrumbs>
          <Anchor component={Link} to="/audiences">
            Audiences
          </Anchor>
          {a.folder && <Text>{a.folder}</Text>}
          <Text>{a.name}</Text>
        </Breadcrumbs>
        <Group mt={4} gap="sm">
          <Title order={1} size="h2">
            {a.name}
          </Title>
          <EnabledBadge enabled={a.enabled} />
          {a.state && a.state !== 'idle' && <Badge variant="light">{a.state}</Badge>}
        </Group>
        {a.description && (
          <Text c="dimmed" size="sm">
            {a.description}
          </Text>
        )}
      </div>
      <Tabs value={tab} onChange={(t) => setParams(t && t !== 'overview' ? { tab: t } : {})} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="builder">Builder</Tabs.Tab>
          <Tabs.Tab value="runs">Runs</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
          <Tabs.Tab value="alerts">Alerts</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <OverviewTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="builder" pt="md">
          <BuilderTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="runs" pt="md">
          <RunsTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <SettingsTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="alerts" pt="md">
          <AlertsPanel kind="audience_size" target={a.key} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

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

function OverviewTab({ a }: { a: Audience }) {
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
  const members = useQuery({
    queryKey: ['members', a.key, a.last_run?.id],
    queryFn: () => call(api.GET('/api/v1/audiences/{key}/members', { params: { path: { key: a.key }, query: { limit: 10 } } })),
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

function BuilderTab({ a }: { a: Audience }) {
  const canEdit = useCan('edit_audiences');
  const graph = useGraph();
  const audiences = useAudienceNames();
  const qc = useQueryClient();
  const [state, setState] = useState<State>(() => fromJson(a.definition as never));
  const [previewOpen, setPreviewOpen] = useState(false);
  const [warnings, setWarnings] = useState<{ activation: string; relationship: string; message: string }[] | null>(null);
  const dirty = JSON.stringify(toJson(state)) !== JSON.stringify(a.definition);
  const put = (dry: boolean) =>
    call(api.PUT('/api/v1/audiences/{key}', { params: { path: { key: a.key }, query: dry ? { dry_run: 'true' } : {} }, body: { definition: toJson(state) as never } }));
  const save = useMutation({
    mutationFn: async (force: boolean) => {
      if (!force) {
        const dry = await put(true);
        if (dry.warnings && dry.warnings.length) {
          setWarnings(dry.warnings);
          return null;
        }
      }
      return put(false);
    },
    onSuccess: (r) => {
      if (!r) return;
      setWarnings(null);
      notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'teal', message: 'Audience saved' });
      qc.setQueryData(['audience', a.key], r);
    },
  });
  if (!graph.index) return <Loader />;
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {canEdit ? 'Edit the definition; saving raises its version and the next run uses it.' : 'You can view this definition; editing needs the Engage User role.'}
        </Text>
        <Group>
          <Button variant="default" leftSection={<IconEye size={16} />} onClick={() => setPreviewOpen(true)}>
            Preview
          </Button>
          {canEdit && (
            <>
              <Button variant="subtle" disabled={!dirty} onClick={() => setState(fromJson(a.definition as never))}>
                Discard changes
              </Button>
              <Button disabled={!dirty} loading={save.isPending} onClick={() => save.mutate(false)}>
                Save
              </Button>
            </>
          )}
        </Group>
      </Group>
      {save.error && <Alert color="red">{save.error.message}</Alert>}
      <Builder state={state} onChange={setState} graph={graph.index} audiences={audiences} selfKey={a.key} readOnly={!canEdit} />
      <PreviewSheet opened={previewOpen} onClose={() => setPreviewOpen(false)} definition={toJson(state)} />
      <Modal opened={!!warnings} onClose={() => setWarnings(null)} title="This change affects activations">
        <Stack>
          {warnings?.map((w, i) => (
            <Alert key={i} color="yellow" title={`${w.activation} uses ${w.relationship}`}>
              {w.message}
            </Alert>
          ))}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setWarnings(null)}>
              Keep editing
            </Button>
            <Button color="orange" onClick={() => save.mutate(true)} loading={save.isPending}>
              Save anyway
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function RunsTab({ a }: { a: Audience }) {
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

function SettingsTab({ a }: { a: Audience }) {
  const canEdit = useCan('edit_audiences');
  const qc = useQueryClient();
  const [name, setName] = useState(a.name);
  const [description, setDescription] = useState(a.description);
  const [folder, setFolder] = useState(a.folder);
  const [schedule, setSchedule] = useState(a.schedule);
  const save = useMutation({
    mutationFn: () => call(api.PUT('/api/v1/audiences/{key}', { params: { path: { key: a.key } }, body: { name, description, folder, schedule } })),
    onSuccess: (r) => {
      qc.setQueryData(['audience', a.key], r);
      qc.invalidateQueries({ queryKey: ['audiences'] });
      notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'teal', message: 'Settings saved' });
    },
  });
  return (
    <Card withBorder maw={720}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={!canEdit} />
          <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} disabled={!canEdit} />
          <TextInput label="Folder" value={folder} onChange={(e) => setFolder(e.currentTarget.value)} disabled={!canEdit} />
          <TextInput label="Key" value={a.key} readOnly disabled description="The key cannot change." />
          <ScheduleEditor value={schedule} onChange={setSchedule} disabled={!canEdit} />
          {save.error && <Alert color="red">{save.error.message}</Alert>}
          {canEdit && (
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                Save settings
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

// An activation after the wizard: its settings (./activation/SetupSections) beside its payload preview, personalization
// syntax and test event (./activation/PreviewSections); and its alerts.
import { Alert, Anchor, Badge, Breadcrumbs, Button, Grid, Group, Loader, Stack, Switch, Tabs, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, call, type Schemas } from '../api/client';
import { useCan } from '../auth';
import { AlertsPanel } from '../components/AlertsPanel';
import { EnabledBadge } from '../components/StatusBadge';
import { TRIGGERS } from './ActivationWizard';
import { PayloadPreview, Personalization, TestEvent } from './activation/PreviewSections';
import { DestinationSettings, Enrichment, Identifiers, Mapping } from './activation/SetupSections';

type Update = Schemas['ActivationUpdate'];

function useActivation(key: string) {
  return useQuery({ queryKey: ['activation', key], queryFn: () => call(api.GET('/api/v1/activations/{key}', { params: { path: { key } } })) });
}

export function useSave(key: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Update) => call(api.PUT('/api/v1/activations/{key}', { params: { path: { key } }, body })),
    onSuccess: (a) => {
      qc.setQueryData(['activation', key], a);
      qc.invalidateQueries({ queryKey: ['payload', key] });
      qc.invalidateQueries({ queryKey: ['personalization', key] });
      notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'teal', message: 'Activation saved' });
    },
    onError: (e) => notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'red', message: e instanceof ApiError ? (e.body?.errors?.map((x) => `${x.pointer}: ${x.message}`).join('; ') || e.message) : e.message }),
  });
}

export function ActivationPage() {
  const { key = '' } = useParams();
  const q = useActivation(key);
  const canEdit = useCan('edit_activations');
  const save = useSave(key);
  const nav = useNavigate();
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (on: boolean) =>
      call(on ? api.POST('/api/v1/activations/{key}/enable', { params: { path: { key } } }) : api.POST('/api/v1/activations/{key}/disable', { params: { path: { key } } })),
    onSuccess: (a) => qc.setQueryData(['activation', key], a),
    onError: (e) => notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'red', message: e.message }),
  });
  const del = useMutation({
    mutationFn: () => call(api.DELETE('/api/v1/activations/{key}', { params: { path: { key } } })),
    onSuccess: () => nav(`/audiences/${encodeURIComponent(q.data!.audience)}`),
  });
  const [draft, setDraft] = useState<{ mapping: unknown } | null>(null); // a mapping being edited, for the preview
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
          <Anchor component={Link} to={`/audiences/${encodeURIComponent(a.audience)}`}>
            {a.audience}
          </Anchor>
          <Text>{a.key}</Text>
        </Breadcrumbs>
        <Group justify="space-between" mt={4}>
          <Group gap="sm">
            <Title order={1} size="h2">
              {a.key}
            </Title>
            <EnabledBadge enabled={!!a.enabled} />
            <Badge variant="outline" tt="none">
              {String(a.destination.type)} · {a.action}
            </Badge>
          </Group>
          <Group>
            <Switch label="Enabled" checked={!!a.enabled} disabled={!canEdit || toggle.isPending} onChange={(e) => toggle.mutate(e.currentTarget.checked)} data-testid="activation-enable" />
            <Button component={Link} to={`/delivery?activation=${encodeURIComponent(a.key)}`} variant="default">
              Delivery overview
            </Button>
            {canEdit && (
              <Button variant="subtle" color="red" leftSection={<IconTrash size={16} />} onClick={() => del.mutate()} loading={del.isPending}>
                Delete
              </Button>
            )}
          </Group>
        </Group>
        <Text size="sm" c="dimmed">
          {TRIGGERS.find((t) => t.value === a.trigger)?.label}
          {a.entity ? ` · entity ${a.entity}` : ''}
          {a.event_name ? ` · event “${a.event_name}”` : ''}
        </Text>
      </div>
      <Tabs defaultValue="setup" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="setup">Setup</Tabs.Tab>
          <Tabs.Tab value="alerts">Alerts</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="setup" pt="md">
          <Grid>
            <Grid.Col span={{ base: 12, lg: 7 }}>
              <Stack>
                <DestinationSettings a={a} save={save} canEdit={canEdit} />
                <Identifiers a={a} save={save} canEdit={canEdit} />
                <Enrichment a={a} save={save} canEdit={canEdit} />
                <Mapping a={a} save={save} canEdit={canEdit} onDraft={setDraft} />
              </Stack>
            </Grid.Col>
            <Grid.Col span={{ base: 12, lg: 5 }}>
              <Stack>
                <PayloadPreview a={a} draft={draft} />
                <Personalization a={a} />
                <TestEvent a={a} canEdit={canEdit} />
              </Stack>
            </Grid.Col>
          </Grid>
        </Tabs.Panel>
        <Tabs.Panel value="alerts" pt="md">
          <AlertsPanel kind="event_health" target={a.key} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

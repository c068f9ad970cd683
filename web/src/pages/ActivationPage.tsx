// An activation after the wizard: destination settings, identifier strategy, enrichment with a live payload preview,
// personalization syntax, mapping, test event, enable; and its alerts.
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Code,
  CopyButton,
  Grid,
  Group,
  Loader,
  MultiSelect,
  Select,
  Stack,
  Switch,
  Table,
  Tabs,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconCopy, IconPlus, IconSend, IconTrash } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, call, type Activation, type Schemas } from '../api/client';
import { useCan } from '../auth';
import { relationshipsUsed } from '../builder/state';
import { AlertsPanel } from '../components/AlertsPanel';
import { EnabledBadge } from '../components/StatusBadge';
import { useGraph } from '../graph';
import { useAudience } from './AudiencePage';
import { SettingInput, TRIGGERS, useDestinationTypes } from './ActivationWizard';

type Update = Schemas['ActivationUpdate'];

function useActivation(key: string) {
  return useQuery({ queryKey: ['activation', key], queryFn: () => call(api.GET('/api/v1/activations/{key}', { params: { path: { key } } })) });
}

function useSave(key: string) {
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

type SectionProps = { a: Activation; save: ReturnType<typeof useSave>; canEdit: boolean };

function Section({ title, children, right }: { title: string; children: React.ReactNode; right?: React.ReactNode }) {
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {right}
      </Group>
      {children}
    </Card>
  );
}

function DestinationSettings({ a, save, canEdit }: SectionProps) {
  const types = useDestinationTypes();
  const canDest = useCan('edit_destinations');
  const [values, setValues] = useState<Record<string, unknown>>(a.destination);
  const t = types.data?.items.find((x) => x.type === a.destination.type);
  if (!t) return null;
  const editable = canEdit && canDest;
  return (
    <Section title="Destination settings">
      <Stack gap="xs">
        {t.settings
          .filter((s) => s.kind !== 'object' || s.name !== 'filter')
          .map((s) => (
            <SettingInput key={s.name} s={s} value={values[s.name]} onChange={(v) => setValues({ ...values, [s.name]: v })} disabled={!editable} />
          ))}
        {editable && (
          <Group justify="flex-end">
            <Button onClick={() => save.mutate({ destination: values as Schemas['Destination'] })} loading={save.isPending}>
              Save settings
            </Button>
          </Group>
        )}
      </Stack>
    </Section>
  );
}

const AS_CHOICES = ['userId', 'anonymousId', 'context.traits.email', 'context.traits.phone'];

function Identifiers({ a, save, canEdit }: SectionProps) {
  const [ids, setIds] = useState(a.identifiers ?? []);
  return (
    <Section title="Identifier strategy">
      <Text size="sm" c="dimmed" mb="xs">
        Which profile identifiers fill which event fields; entries with the same field are fallbacks tried in order. A profile lacking every identifier is filtered at
        source.
      </Text>
      <Stack gap={6}>
        {ids.map((id, i) => (
          <Group key={i} gap="xs">
            <TextInput aria-label={`Identifier ${i + 1} type`} value={id.type} onChange={(e) => setIds(ids.map((x, j) => (j === i ? { ...x, type: e.currentTarget.value } : x)))} disabled={!canEdit} w={180} />
            <Text size="sm">as</Text>
            <Select aria-label={`Identifier ${i + 1} field`} data={[...new Set([...AS_CHOICES, id.as])]} value={id.as} onChange={(v) => v && setIds(ids.map((x, j) => (j === i ? { ...x, as: v } : x)))} disabled={!canEdit} w={220} allowDeselect={false} searchable />
            {canEdit && (
              <ActionIcon variant="subtle" color="gray" aria-label={`Remove identifier ${i + 1}`} onClick={() => setIds(ids.filter((_, j) => j !== i))}>
                <IconTrash size={16} />
              </ActionIcon>
            )}
          </Group>
        ))}
        {canEdit && (
          <Group justify="space-between">
            <Button variant="subtle" size="compact-sm" leftSection={<IconPlus size={14} />} onClick={() => setIds([...ids, { type: 'email', as: 'context.traits.email' }])}>
              Add identifier
            </Button>
            <Button onClick={() => save.mutate({ identifiers: ids })} loading={save.isPending}>
              Save identifiers
            </Button>
          </Group>
        )}
      </Stack>
    </Section>
  );
}

function Enrichment({ a, save, canEdit }: SectionProps) {
  const audience = useAudience(a.audience);
  const graph = useGraph();
  const [traits, setTraits] = useState<string[]>(a.enrichment?.traits ?? []);
  const [entities, setEntities] = useState<Record<string, string[]>>(a.enrichment?.entities ?? {});
  if (!audience.data || !graph.index) return <Loader size="sm" />;
  const rels = [...relationshipsUsed(audience.data.definition as never)];
  return (
    <Section title="Enrichment">
      <Stack gap="sm">
        <TagsInput label="Traits" description="Trait names to include in each event's properties; Enter adds one." value={traits} onChange={setTraits} disabled={!canEdit} clearable />
        {rels.map((r) => {
          const entity = graph.index!.rels.get(r)?.entity;
          return (
            <MultiSelect
              key={r}
              label={`${r} columns`}
              description={entity ? `${entity.name} (${entity.table})` : undefined}
              data={(entity?.columns ?? []).map((c) => c.name)}
              value={entities[r] ?? []}
              onChange={(v) => {
                const next = { ...entities };
                if (v.length) next[r] = v;
                else delete next[r];
                setEntities(next);
              }}
              disabled={!canEdit}
              searchable
              clearable
            />
          );
        })}
        {canEdit && (
          <Group justify="flex-end">
            <Button onClick={() => save.mutate({ enrichment: { traits, entities } })} loading={save.isPending} data-testid="save-enrichment">
              Save enrichment
            </Button>
          </Group>
        )}
      </Stack>
    </Section>
  );
}

function PayloadPreview({ a, draft }: { a: Activation; draft: { mapping: unknown } | null }) {
  const [shown, setShown] = useState(true);
  const [debounced] = useDebouncedValue(draft, 300);
  const q = useQuery({
    queryKey: ['payload', a.key, a.updated_at, JSON.stringify(debounced)],
    queryFn: () => call(api.POST('/api/v1/activations/{key}/payload-preview', { params: { path: { key: a.key } }, body: debounced ? { mapping: debounced.mapping } : {} })),
    enabled: shown,
    retry: false,
    placeholderData: keepPreviousData,
  });
  return (
    <Section
      title="Payload preview"
      right={
        <Button size="compact-sm" variant="subtle" onClick={() => setShown(!shown)} aria-expanded={shown}>
          {shown ? 'Hide' : 'Show'}
        </Button>
      }
    >
      {shown && (
        <>
          {q.isFetching && <Loader size="xs" />}
          {q.error && (
            <Alert color="yellow" role="status">
              {q.error.message}
            </Alert>
          )}
          {q.data && (
            <Stack gap="xs">
              {q.data.mapping_error && <Alert color="red">{q.data.mapping_error}</Alert>}
              <Text size="xs" c="dimmed">
                What the destination receives for one profile: it follows the saved enrichment{debounced ? ' and the mapping being edited' : ' and mapping'}.
              </Text>
              <pre className="json" tabIndex={0} data-testid="payload-preview">
                {JSON.stringify(q.data.mapped ?? q.data.event, null, 2)}
              </pre>
            </Stack>
          )}
        </>
      )}
    </Section>
  );
}

function Personalization({ a }: { a: Activation }) {
  const q = useQuery({
    queryKey: ['personalization', a.key, a.updated_at],
    queryFn: () => call(api.GET('/api/v1/activations/{key}/personalization', { params: { path: { key: a.key } } })),
  });
  const [flavor, setFlavor] = useState<'braze' | 'iterable'>('braze');
  return (
    <Section
      title="Personalization syntax"
      right={
        <Select
          aria-label="Template language"
          data={[
            { value: 'braze', label: 'Braze Liquid' },
            { value: 'iterable', label: 'Iterable Handlebars' },
          ]}
          value={flavor}
          onChange={(v) => v && setFlavor(v as typeof flavor)}
          size="xs"
          w={170}
          allowDeselect={false}
        />
      }
    >
      {!q.data ? (
        <Loader size="xs" />
      ) : q.data.fields.length === 0 ? (
        <Text size="sm" c="dimmed">
          Enrich the events to get personalization fields.
        </Text>
      ) : (
        <Table>
          <Table.Tbody>
            {q.data.fields.map((f) => {
              const loop = flavor === 'braze' ? f.braze_loop : f.iterable_loop;
              const text = loop ? `${loop.open}\n  ${loop.item}\n${loop.close}` : flavor === 'braze' ? f.braze : f.iterable;
              return (
                <Table.Tr key={f.property}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {f.property}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {f.source.replace('_', ' ')}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code block={!!loop}>{text}</Code>
                  </Table.Td>
                  <Table.Td w={40}>
                    <CopyButton value={text}>
                      {({ copied, copy }) => (
                        <Tooltip label={copied ? 'Copied' : 'Copy'}>
                          <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} onClick={copy} aria-label={`Copy ${f.property}`}>
                            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                          </ActionIcon>
                        </Tooltip>
                      )}
                    </CopyButton>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Section>
  );
}

function Mapping({ a, save, canEdit, onDraft }: SectionProps & { onDraft: (d: { mapping: unknown } | null) => void }) {
  const types = useDestinationTypes();
  const action = types.data?.items.find((t) => t.type === a.destination.type)?.actions.find((x) => x.name === a.action);
  const [showHidden, setShowHidden] = useState(false);
  const stored = (a.mapping ?? null) as Record<string, unknown> | null;
  const [text, setText] = useState(stored === null ? '' : JSON.stringify(stored, null, 2));
  const [fields, setFields] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!action || action.free_form) return;
    const init: Record<string, string> = {};
    for (const f of action.fields) {
      const v = stored && f.name in stored ? stored[f.name] : f.default;
      if (v !== null && v !== undefined) init[f.name] = JSON.stringify(v);
    }
    setFields(init);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [action?.name, a.updated_at]);
  if (!action) return null;
  if (action.free_form) {
    let error: string | undefined;
    try {
      if (text.trim()) JSON.parse(text);
    } catch (e) {
      error = (e as Error).message;
    }
    return (
      <Section title="Mapping">
        <Text size="sm" c="dimmed" mb="xs">
          This action sends the mapped JSON as the body; leave it empty to send the event itself. Values may be directives such as {'{"@path": "$.properties.first_name"}'}.
        </Text>
        <Textarea
          aria-label="Mapping (JSON)"
          className="mono"
          autosize
          minRows={4}
          maxRows={14}
          value={text}
          onChange={(e) => {
            const t = e.currentTarget.value;
            setText(t);
            try {
              onDraft({ mapping: t.trim() ? JSON.parse(t) : null });
            } catch {
              /* not JSON yet: the preview keeps the last valid mapping */
            }
          }}
          error={error}
          disabled={!canEdit}
          placeholder="(the event itself)"
        />
        {canEdit && (
          <Group justify="flex-end" mt="sm">
            <Button
              disabled={!!error}
              onClick={() => {
                save.mutate({ mapping: text.trim() ? JSON.parse(text) : null });
                onDraft(null);
              }}
              loading={save.isPending}
            >
              Save mapping
            </Button>
          </Group>
        )}
      </Section>
    );
  }
  const ordered = [...action.fields].sort((x, y) => Number(y.required) - Number(x.required));
  const visible = ordered.filter((f) => showHidden || f.required || fields[f.name] !== undefined);
  const hidden = ordered.length - visible.length;
  return (
    <Section title="Mapping" right={<Switch label={`Show hidden fields${hidden && !showHidden ? ` (${hidden})` : ''}`} checked={showHidden} onChange={(e) => setShowHidden(e.currentTarget.checked)} />}>
      <Stack gap={6}>
        {visible.map((f) => (
          <Group key={f.name} align="flex-start" wrap="nowrap">
            <div style={{ width: 170 }}>
              <Text size="sm" fw={500}>
                {f.name} {f.required && <Badge size="xs" color="red" variant="light">required</Badge>}
              </Text>
              <Text size="xs" c="dimmed">
                {f.type}
              </Text>
            </div>
            <TextInput
              aria-label={`Mapping of ${f.name}`}
              className="mono"
              style={{ flex: 1 }}
              value={fields[f.name] ?? ''}
              placeholder="not sent"
              onChange={(e) => setFields({ ...fields, [f.name]: e.currentTarget.value })}
              disabled={!canEdit}
              description={f.description}
            />
          </Group>
        ))}
        {canEdit && (
          <Group justify="flex-end">
            <Button
              onClick={() => {
                const m: Record<string, unknown> = {};
                for (const [k, v] of Object.entries(fields)) {
                  if (!v.trim()) continue;
                  try {
                    m[k] = JSON.parse(v);
                  } catch {
                    m[k] = v;
                  }
                }
                save.mutate({ mapping: m });
              }}
              loading={save.isPending}
            >
              Save mapping
            </Button>
          </Group>
        )}
      </Stack>
    </Section>
  );
}

function TestEvent({ a, canEdit }: { a: Activation; canEdit: boolean }) {
  const preview = useQuery({
    queryKey: ['payload', a.key, a.updated_at],
    queryFn: () => call(api.POST('/api/v1/activations/{key}/payload-preview', { params: { path: { key: a.key } }, body: {} })),
    retry: false,
  });
  const [userId, setUserId] = useState('');
  const suggested = (preview.data?.event as { userId?: string } | undefined)?.userId ?? '';
  const send = useMutation({
    mutationFn: (u: string) => call(api.POST('/api/v1/activations/{key}/test-event', { params: { path: { key: a.key } }, body: { user_id: u } })),
  });
  if (!canEdit) return null;
  return (
    <Section title="Send test event">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          send.mutate(userId || suggested);
        }}
      >
        <Group align="flex-end">
          <TextInput label="Destination user ID" placeholder={suggested} value={userId} onChange={(e) => setUserId(e.currentTarget.value)} style={{ flex: 1 }} />
          <Button type="submit" leftSection={<IconSend size={16} />} loading={send.isPending} disabled={!userId && !suggested}>
            Send test event
          </Button>
        </Group>
      </form>
      {send.error && (
        <Alert color="red" mt="sm">
          {send.error.message}
        </Alert>
      )}
      {send.data && (
        <Stack gap="xs" mt="sm" data-testid="test-event-result">
          <Group gap="xs">
            <Badge color={send.data.result === 'delivered' ? 'teal' : 'red'}>{send.data.result}</Badge>
            <Text size="sm">status {send.data.status}</Text>
            {send.data.error && (
              <Text size="sm" c="red">
                {send.data.error}
              </Text>
            )}
          </Group>
          {send.data.exchanges.map((x, i) => (
            <Stack key={i} gap={4}>
              <Text size="xs" fw={700}>
                Request
              </Text>
              <pre className="json" tabIndex={0}>{JSON.stringify(x.request, null, 2)}</pre>
              <Text size="xs" fw={700}>
                Response
              </Text>
              <pre className="json" tabIndex={0}>{JSON.stringify(x.response, null, 2)}</pre>
            </Stack>
          ))}
        </Stack>
      )}
    </Section>
  );
}

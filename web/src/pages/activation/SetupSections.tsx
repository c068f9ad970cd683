// The activation's settings: destination, identifier strategy, enrichment and mapping.
import { ActionIcon, Badge, Button, Card, Group, Loader, MultiSelect, Select, Stack, Switch, TagsInput, Text, Textarea, TextInput, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { type Activation, type Schemas } from '../../api/client';
import { useCan } from '../../auth';
import { useGraph } from '../../graph';
import { useAudience, useDestinationTypes } from '../../queries';
import { SettingInput } from '../ActivationWizard';
import type { useSave } from '../ActivationPage';
import { relationshipsUsed } from '../../builder/state';

export type SectionProps = { a: Activation; save: ReturnType<typeof useSave>; canEdit: boolean };

export function Section({ title, children, right }: { title: string; children: React.ReactNode; right?: React.ReactNode }) {
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

export function DestinationSettings({ a, save, canEdit }: SectionProps) {
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

export function Identifiers({ a, save, canEdit }: SectionProps) {
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

export function Enrichment({ a, save, canEdit }: SectionProps) {
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

export function Mapping({ a, save, canEdit, onDraft }: SectionProps & { onDraft: (d: { mapping: unknown } | null) => void }) {
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

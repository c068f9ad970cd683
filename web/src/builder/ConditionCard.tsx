// One condition of the builder, by type; entity conditions hold their related-entity conditions below them.
import { ActionIcon, Alert, Autocomplete, Badge, Button, Group, NumberInput, Paper, SegmentedControl, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconCopy, IconPlus, IconTrash } from '@tabler/icons-react';
import { useBuilder } from './BuilderContext';
import { FilterRow } from './FilterRow';
import { COUNT_LABELS, MAX_LEVELS, type BoolOp, type Count, type CountOp, type Filter, type TimeUnit, type Window } from './model';
import {
  addChild,
  addFilter,
  branchOf,
  duplicateCondition,
  errorsAt,
  pointerOf,
  removeCondition,
  removeFilter,
  setChildrenOperator,
  setConditionField,
  setCount,
  setRelationship,
  setWhereOperator,
  setWindow,
  setWithout,
  updateFilter,
  type Addr,
  type ECondition,
} from './state';

const TYPE_LABEL = { trait: 'Trait', audience: 'Audience membership', event: 'Event', entity: 'Related entity' } as const;
const TYPE_COLOR = { trait: 'blue', audience: 'grape', event: 'indigo', entity: 'teal' } as const;

export function AndOr(props: { value: BoolOp | undefined; onChange: (v: BoolOp) => void; label: string; readOnly?: boolean }) {
  return (
    <SegmentedControl
      aria-label={props.label}
      size="xs"
      radius="xl"
      color="violet"
      data={[
        { value: 'and', label: 'AND' },
        { value: 'or', label: 'OR' },
      ]}
      value={props.value ?? 'and'}
      onChange={(v) => props.onChange(v as BoolOp)}
      readOnly={props.readOnly}
    />
  );
}

function conditionName(addr: Addr): string {
  return `condition ${addr.map((i) => i + 1).join('.')}`;
}

export function ConditionCard({ addr, c }: { addr: Addr; c: ECondition }) {
  const { update, errors, readOnly, graph, audiences, selfKey, state, names } = useBuilder();
  const ptr = pointerOf(addr);
  const err = (m: string) => errorsAt(errors, `${ptr}/${m}`, true).join('; ') || undefined;
  const name = conditionName(addr);
  // Errors at this condition that no field below shows.
  const shown = /^\/(trait|audience|event|relationship|count\/value|count\/op|filter\/(op|value|ref|type)|where\/filters\/\d+\/(column|op|value|ref|ref\/trait|property|context))$/;
  const loose = errors
    .map((e) => ({ ...e, pointer: e.pointer.replace(/^\/definition/, '') }))
    .filter((e) => (e.pointer === ptr || e.pointer.startsWith(ptr + '/')) && !e.pointer.slice(ptr.length).includes('/children/'))
    .filter((e) => !shown.test(e.pointer.slice(ptr.length)));

  const level = addr.length; // 2: first-level entity
  const branch = c.type === 'entity' ? branchOf(state, addr) : [];
  const ancestors = branch.slice(0, -1).map((b) => b.relationship!).filter(Boolean).reverse();
  const parentRel = addr.length > 2 ? getParentRel(branch) : null;
  const relChoices = c.type === 'entity' ? graph.childrenOf(parentRel) : [];
  const relInfo = c.relationship ? graph.rels.get(c.relationship) : undefined;

  return (
    <Paper withBorder p="sm" className={`condition-card${c.without ? ' without' : ''}`} data-testid="condition" aria-label={name} role="group">
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap">
          <Group gap="xs">
            <Badge color={TYPE_COLOR[c.type]} variant="light" radius="sm">
              {TYPE_LABEL[c.type]}
            </Badge>
            <SegmentedControl
              aria-label={`${name}: with or without`}
              size="xs"
              data={[
                { value: 'with', label: 'with' },
                { value: 'without', label: 'without' },
              ]}
              color={c.without ? 'red' : 'teal'}
              value={c.without ? 'without' : 'with'}
              onChange={(v) => update((s) => setWithout(s, addr, v === 'without'))}
              readOnly={readOnly}
            />
            {c.type === 'entity' && (
              <Text size="xs" c="dimmed">
                level {level} of {MAX_LEVELS}
              </Text>
            )}
          </Group>
          {!readOnly && (
            <Group gap={2}>
              <Tooltip label="Duplicate">
                <ActionIcon variant="subtle" color="gray" aria-label={`Duplicate ${name}`} onClick={() => update((s) => duplicateCondition(s, addr))}>
                  <IconCopy size={16} />
                </ActionIcon>
              </Tooltip>
              <Tooltip label="Remove">
                <ActionIcon variant="subtle" color="red" aria-label={`Remove ${name}`} onClick={() => update((s) => removeCondition(s, addr))}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Tooltip>
            </Group>
          )}
        </Group>

        {c.type === 'trait' && (
          <Group gap={6} align="flex-start">
            <Autocomplete
              aria-label={`${name}: trait`}
              placeholder="Trait name, e.g. plan"
              data={names.traits}
              value={c.trait ?? ''}
              onChange={(v) => update((s) => setConditionField(s, addr, 'trait', v))}
              error={err('trait')}
              readOnly={readOnly}
              w={180}
              size="sm"
            />
            {c.filter ? (
              <FilterRow
                filter={c.filter}
                scope={{ kind: 'trait', trait: c.trait ?? '' }}
                pointer={`${ptr}/filter`}
                index={0}
                name={name}
                onChange={(f) => update((s) => setConditionField(s, addr, 'filter', f))}
                onRemove={() => update((s) => setConditionField(s, addr, 'filter', undefined))}
              />
            ) : (
              <Group gap={6}>
                <Text size="sm" c="dimmed" mt={6}>
                  has any value
                </Text>
                {!readOnly && (
                  <Button size="compact-sm" variant="subtle" mt={4} onClick={() => update((s) => setConditionField(s, addr, 'filter', { op: 'equals', value: '' }))}>
                    Add a filter
                  </Button>
                )}
              </Group>
            )}
          </Group>
        )}

        {c.type === 'audience' && (
          <Select
            aria-label={`${name}: audience`}
            placeholder="Pick an audience"
            searchable
            data={audiences.filter((a) => a.key !== selfKey).map((a) => ({ value: a.key, label: `${a.name} (${a.key})` }))}
            value={c.audience || null}
            onChange={(v) => v && update((s) => setConditionField(s, addr, 'audience', v))}
            error={err('audience')}
            readOnly={readOnly}
            w={360}
            size="sm"
            allowDeselect={false}
          />
        )}

        {c.type === 'event' && (
          <>
            <Group gap={6} align="flex-start">
              <Autocomplete
                aria-label={`${name}: event`}
                placeholder="Event name, e.g. Order Completed"
                data={names.events}
                value={c.event ?? ''}
                onChange={(v) => update((s) => setConditionField(s, addr, 'event', v))}
                error={err('event')}
                readOnly={readOnly}
                w={240}
                size="sm"
              />
              <CountQualifier name={name} count={c.count} onChange={(k) => update((s) => setCount(s, addr, k))} errValue={err('count/value')} noun="times" />
            </Group>
            <WindowEditor name={name} w={c.window} onChange={(w) => update((s) => setWindow(s, addr, w))} ptr={`${ptr}/window`} />
          </>
        )}

        {c.type === 'entity' && (
          <Group gap={6} align="flex-start">
            <Select
              aria-label={`${name}: relationship`}
              placeholder="Pick a relationship"
              data={relChoices.map((r) => ({ value: r.slug, label: `${r.name} (${r.slug})` }))}
              value={c.relationship || null}
              onChange={(v) => v && update((s) => setRelationship(s, addr, v))}
              error={err('relationship')}
              readOnly={readOnly}
              w={280}
              size="sm"
              allowDeselect={false}
              searchable
            />
            <CountQualifier name={name} count={c.count} onChange={(k) => update((s) => setCount(s, addr, k))} errValue={err('count/value')} noun={relInfo?.entity?.name ?? 'entities'} />
          </Group>
        )}

        {(c.type === 'event' || (c.type === 'entity' && c.relationship)) && (
          <Stack gap={6} pl="xs">
            {c.where && c.where.filters.length > 1 && (
              <Group gap="xs">
                <Text size="xs" c="dimmed">
                  Filters combine with
                </Text>
                <AndOr label={`${name}: filters combine with`} value={c.where.operator} onChange={(op) => update((s) => setWhereOperator(s, addr, op))} readOnly={readOnly} />
              </Group>
            )}
            {c.where?.filters.map((f, fi) => (
              <FilterRow
                key={f._k}
                filter={f}
                index={fi}
                name={name}
                scope={c.type === 'entity' ? { kind: 'entity', relationship: c.relationship!, ancestors } : { kind: 'event', event: c.event ?? '' }}
                pointer={`${ptr}/where/filters/${fi}`}
                onChange={(nf) => update((s) => updateFilter(s, addr, fi, (old) => ({ ...(nf as Filter), _k: old._k })))}
                onRemove={() => update((s) => removeFilter(s, addr, fi))}
              />
            ))}
            {!readOnly && (
              <Group>
                <Button
                  size="compact-sm"
                  variant="subtle"
                  leftSection={<IconPlus size={14} />}
                  aria-label={`Add filter to ${name}`}
                  onClick={() => update((s) => addFilter(s, addr, c.type === 'entity' ? firstColumnFilter(graph, c.relationship!) : { property: '', op: 'equals', value: '' }))}
                >
                  Add filter
                </Button>
                {c.type === 'entity' && level < MAX_LEVELS && (relInfo?.rel.children.length ?? 0) > 0 && (
                  <Button
                    size="compact-sm"
                    variant="subtle"
                    color="teal"
                    leftSection={<IconPlus size={14} />}
                    aria-label={`Add related entity to ${name}`}
                    onClick={() => update((s) => addChild(s, addr, { type: 'entity', relationship: relInfo!.rel.children[0].slug }))}
                  >
                    Add related entity
                  </Button>
                )}
              </Group>
            )}
          </Stack>
        )}

        {loose.length > 0 && (
          <Alert color="red" variant="light" p="xs" role="alert">
            {loose.map((e, i) => (
              <Text size="sm" key={i}>
                {e.message}
              </Text>
            ))}
          </Alert>
        )}

        {c.children && c.children.conditions.length > 0 && (
          <div className="nested">
            <Stack gap="xs">
              <Group gap="xs">
                <Text size="xs" c="dimmed">
                  where each of these {relInfo?.entity?.name ?? 'entities'} has
                </Text>
                {c.children.conditions.length > 1 && (
                  <AndOr label={`${name}: related entities combine with`} value={c.children.operator} onChange={(op) => update((s) => setChildrenOperator(s, addr, op))} readOnly={readOnly} />
                )}
              </Group>
              {c.children.conditions.map((ch, ci) => (
                <ConditionCard key={ch._k} addr={[...addr, ci]} c={ch} />
              ))}
            </Stack>
          </div>
        )}
      </Stack>
    </Paper>
  );
}

function getParentRel(branch: ECondition[]): string | null {
  return branch.length >= 2 ? (branch[branch.length - 2].relationship ?? null) : null;
}

function firstColumnFilter(graph: ReturnType<typeof useBuilder>['graph'], relationship: string): Filter {
  const col = graph.rels.get(relationship)?.entity?.columns[0];
  const t = col?.type.toUpperCase();
  return { column: col?.name ?? '', op: 'equals', value: t === 'NUMBER' ? 0 : t === 'BOOLEAN' ? true : '' };
}

function CountQualifier(props: { name: string; count: Count | undefined; onChange: (c: Count) => void; errValue?: string; noun: string }) {
  const { readOnly } = useBuilder();
  const count = props.count ?? { op: 'at_least', value: 1 };
  return (
    <Stack gap={2}>
      <Group gap={4} wrap="nowrap" align="flex-start">
        <Select
          aria-label={`${props.name}: count`}
          data={(Object.keys(COUNT_LABELS) as CountOp[]).map((k) => ({ value: k, label: COUNT_LABELS[k] }))}
          value={count.op}
          onChange={(v) => v && props.onChange({ ...count, op: v as CountOp })}
          readOnly={readOnly}
          w={110}
          size="sm"
          allowDeselect={false}
        />
        <NumberInput
          aria-label={`${props.name}: count value`}
          value={count.value}
          min={0}
          allowDecimal={false}
          onChange={(v) => props.onChange({ ...count, value: typeof v === 'number' ? v : Number(v) || 0 })}
          error={props.errValue}
          styles={{ error: { width: 'max-content', maxWidth: 340 } }}
          errorProps={{ 'data-testid': 'count-error' }}
          readOnly={readOnly}
          w={80}
          size="sm"
        />
        <Text size="sm" c="dimmed" mt={6}>
          {props.noun}
        </Text>
      </Group>
    </Stack>
  );
}

const UNITS: TimeUnit[] = ['minutes', 'hours', 'days', 'weeks'];

function WindowEditor(props: { name: string; w: Window | undefined; onChange: (w: Window | undefined) => void; ptr: string }) {
  const { readOnly, errors } = useBuilder();
  const w = props.w;
  const kind = !w ? 'any' : 'within' in w ? 'within' : 'more_than_ago' in w ? 'more_than_ago' : 'between';
  const err = errorsAt(errors, props.ptr).join('; ') || undefined;
  return (
    <Group gap={6} align="flex-start">
      <Select
        aria-label={`${props.name}: time window`}
        data={[
          { value: 'any', label: 'at any time' },
          { value: 'within', label: 'within the last' },
          { value: 'more_than_ago', label: 'more than … ago' },
          { value: 'between', label: 'between dates' },
        ]}
        value={kind}
        onChange={(k) => {
          if (k === 'any') props.onChange(undefined);
          if (k === 'within') props.onChange({ within: { value: 30, unit: 'days' } });
          if (k === 'more_than_ago') props.onChange({ more_than_ago: { value: 30, unit: 'days' } });
          if (k === 'between') props.onChange({ between: { from: '2025-01-01', to: '2026-01-01' } });
        }}
        error={kind === 'any' ? undefined : err}
        readOnly={readOnly}
        w={170}
        size="sm"
        allowDeselect={false}
      />
      {w && ('within' in w || 'more_than_ago' in w) && (() => {
        const k = 'within' in w ? 'within' : 'more_than_ago';
        const v = 'within' in w ? w.within : w.more_than_ago;
        const set = (nv: { value: number; unit: TimeUnit }) => props.onChange((k === 'within' ? { within: nv } : { more_than_ago: nv }) as Window);
        return (
          <>
            <NumberInput aria-label={`${props.name}: window length`} value={v.value} min={1} allowDecimal={false} onChange={(n) => set({ ...v, value: Number(n) || 0 })} readOnly={readOnly} w={80} size="sm" />
            <Select aria-label={`${props.name}: window unit`} data={UNITS} value={v.unit} onChange={(u) => u && set({ ...v, unit: u as TimeUnit })} readOnly={readOnly} w={110} size="sm" allowDeselect={false} />
            {k === 'more_than_ago' && (
              <Text size="sm" c="dimmed" mt={6}>
                ago
              </Text>
            )}
          </>
        );
      })()}
      {w && 'between' in w && (
        <>
          <TextInput aria-label={`${props.name}: from`} value={w.between.from} onChange={(e) => props.onChange({ between: { ...w.between, from: e.currentTarget.value } })} readOnly={readOnly} w={200} size="sm" placeholder="YYYY-MM-DD" />
          <Text size="sm" c="dimmed" mt={6}>
            and
          </Text>
          <TextInput aria-label={`${props.name}: to`} value={w.between.to} onChange={(e) => props.onChange({ between: { ...w.between, to: e.currentTarget.value } })} readOnly={readOnly} w={200} size="sm" placeholder="YYYY-MM-DD" />
        </>
      )}
    </Group>
  );
}


// One filter of a `where` (entity column or event property/context), or a trait condition's own filter.
import { ActionIcon, Autocomplete, Group, SegmentedControl, Select, Text, Tooltip } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useBuilder } from './BuilderContext';
import { jsonType, OPERATOR_LABELS, operatorsFor, REF_OPERATORS, traitType, type DataType, type Filter, type Ref } from './model';
import { errorsAt, withOperator, withType } from './state';
import { ValueInput, type SuggestionSource } from './ValueInput';

export type FilterScope =
  | { kind: 'entity'; relationship: string; ancestors: string[] }
  | { kind: 'event'; event: string }
  | { kind: 'trait'; trait: string };

const TYPE_CHOICES: { value: DataType; label: string }[] = [
  { value: 'STRING', label: 'text' },
  { value: 'NUMBER', label: 'number' },
  { value: 'BOOLEAN', label: 'boolean' },
  { value: 'DATE', label: 'date' },
  { value: 'TIME', label: 'time' },
  { value: 'TIMESTAMP', label: 'timestamp' },
];

export function FilterRow(props: {
  filter: Filter;
  scope: FilterScope;
  pointer: string; // the filter's JSON pointer
  index: number;
  name: string; // the condition's name, for labels
  onChange: (f: Filter) => void;
  onRemove?: () => void;
}) {
  const { filter: f, scope, pointer, onChange, onRemove, index, name } = props;
  const { graph, errors, readOnly, names } = useBuilder();
  const err = (m: string) => errorsAt(errors, `${pointer}/${m}`, true).join('; ') || undefined;
  const n = `${name}: filter ${index + 1}`;

  // The filter's data type: the column's (entity), the `type` key or the value's JSON type (trait, event).
  let type: DataType | undefined;
  let field: React.ReactNode = null;
  let source: SuggestionSource | undefined;
  if (scope.kind === 'entity') {
    const entity = graph.rels.get(scope.relationship)?.entity;
    type = f.column ? graph.columnType(scope.relationship, f.column) : undefined;
    field = (
      <Select
        aria-label={`${n} column`}
        placeholder="Column"
        searchable
        data={(entity?.columns ?? []).map((c) => ({ value: c.name, label: `${c.name} · ${c.type.toLowerCase()}` }))}
        value={f.column ?? null}
        onChange={(c) => {
          if (!c) return;
          const t = graph.columnType(scope.relationship, c);
          const ops = operatorsFor(t);
          const op = ops.includes(f.op) ? f.op : ops[0];
          const next = withOperator({ ...f, column: c }, op);
          // Another type: the old constant means nothing for the new column; start from an empty one.
          if (t !== type && 'value' in next) next.value = Array.isArray(next.value) ? [] : t === 'NUMBER' ? 0 : t === 'BOOLEAN' ? true : '';
          if (t !== type) delete next.ref;
          if (t !== type && op !== 'exists' && op !== 'not_exists' && !('value' in next)) next.value = '';
          onChange(next);
        }}
        error={err('column')}
        readOnly={readOnly}
        w={200}
        size="sm"
        allowDeselect={false}
      />
    );
    if (entity && f.column) source = { entity: entity.slug, column: f.column };
  } else if (scope.kind === 'event') {
    const which = f.context !== undefined ? 'context' : 'property';
    const name = (which === 'context' ? f.context : f.property) ?? '';
    // The warehouse's type of the column when the catalog knows it, else the type the value is written in.
    const typeOf = (w: string, col: string) => names.columnTypes.get(scope.event)?.get(w === 'context' ? `context_${col}` : col);
    const known = typeOf(which, name);
    type = known ?? jsonType(f.value) ?? 'STRING';
    const named = (next: Filter, w: string, col: string): Filter => {
      const t = typeOf(w, col);
      return t && t !== (jsonType(next.value) ?? 'STRING') ? withType(next, t) : next;
    };
    field = (
      <Group gap={4} wrap="nowrap">
        <Select
          aria-label={`${n} kind`}
          data={[
            { value: 'property', label: 'property' },
            { value: 'context', label: 'context' },
          ]}
          value={which}
          onChange={(w) => {
            const next = { ...f };
            delete next.property;
            delete next.context;
            onChange(named(w === 'context' ? { context: name, ...next } : { property: name, ...next }, w ?? 'property', name));
          }}
          readOnly={readOnly}
          w={110}
          size="sm"
          allowDeselect={false}
        />
        <Autocomplete
          aria-label={`${n} ${which} name`}
          placeholder={which === 'context' ? 'page_url' : 'total'}
          data={names.properties.get(scope.event)?.[which] ?? []}
          value={name}
          onChange={(v) => onChange(named({ ...f, [which]: v }, which, v))}
          error={err(which)}
          readOnly={readOnly}
          w={150}
          size="sm"
        />
        <Select
          aria-label={`${n} value type`}
          data={known ? TYPE_CHOICES : TYPE_CHOICES.slice(0, 3)}
          value={type}
          onChange={(t) => t && onChange(withType(f, t as DataType))}
          readOnly={readOnly || !!known}
          title={known ? 'the column\'s type in the warehouse' : undefined}
          w={115}
          size="sm"
          allowDeselect={false}
        />
      </Group>
    );
    if (scope.event && name) source = which === 'context' ? { event: scope.event, context: name } : { event: scope.event, property: name };
  } else {
    type = traitType(f);
    field = (
      <Select
        aria-label={`${name}: trait type`}
        data={[{ value: '', label: 'auto' }, ...TYPE_CHOICES.map((t) => ({ value: t.value.toLowerCase(), label: t.label }))]}
        value={f.type ?? ''}
        onChange={(t) => {
          const next = { ...f };
          if (t) next.type = t;
          else delete next.type;
          onChange(t ? withType(next, t.toUpperCase() as DataType) : next);
        }}
        error={err('type')}
        readOnly={readOnly}
        w={110}
        size="sm"
        allowDeselect={false}
      />
    );
    if (scope.trait) source = { trait: scope.trait };
  }

  const ops = operatorsFor(type);
  const mode: 'value' | 'field' | 'trait' = f.ref ? ('trait' in f.ref ? 'trait' : 'field') : 'value';
  const canRef = scope.kind !== 'trait' && REF_OPERATORS.has(f.op);

  // Dynamic references: only fields of the same type, from the same entity or an ancestor on the branch.
  const refFields: { value: string; label: string }[] = [];
  if (scope.kind === 'entity' && type) {
    for (const slug of [scope.relationship, ...scope.ancestors]) {
      const info = graph.rels.get(slug);
      for (const c of info?.entity?.columns ?? []) {
        if (c.type.toUpperCase() !== type) continue;
        if (slug === scope.relationship && c.name === f.column) continue;
        refFields.push({
          value: `${slug === scope.relationship ? '' : slug}::${c.name}`,
          label: slug === scope.relationship ? `${info?.entity?.name ?? slug}.${c.name}` : `${info?.entity?.name ?? slug} (${slug}).${c.name}`,
        });
      }
    }
  }
  const refValue = f.ref && scope.kind === "entity" && "column" in f.ref ? `${f.ref.relationship && f.ref.relationship !== scope.relationship ? f.ref.relationship : ''}::${f.ref.column}` : null;

  const presence = f.op === 'exists' || f.op === 'not_exists';
  return (
    <Group gap={6} wrap="wrap" align="flex-start" data-testid="filter-row">
      {field}
      <Select
        aria-label={`${n} operator`}
        data={ops.map((o) => ({ value: o, label: OPERATOR_LABELS[o] ?? o }))}
        value={f.op}
        onChange={(o) => o && onChange(withOperator(f, o))}
        error={err('op')}
        readOnly={readOnly}
        w={170}
        size="sm"
        allowDeselect={false}
      />
      {!presence && canRef && (
        <SegmentedControl
          aria-label={`${n} compares with`}
          size="xs"
          mt={4}
          data={[
            { value: 'value', label: 'Value' },
            ...(scope.kind === 'entity' ? [{ value: 'field', label: 'Field' }] : []),
            { value: 'trait', label: 'Trait' },
          ]}
          value={mode}
          readOnly={readOnly}
          onChange={(m) => {
            const next = { ...f };
            delete next.value;
            delete next.ref;
            if (m === 'value') next.value = '';
            if (m === 'trait') next.ref = { trait: '' };
            if (m === 'field') {
              const first = refFields[0]?.value.split('::');
              next.ref = first ? refOf(first[0], first[1]) : { column: '' };
            }
            onChange(next);
          }}
        />
      )}
      {!presence && mode === 'value' && (
        <ValueInput
          label={`${n} value`}
          type={type}
          op={f.op}
          value={f.value}
          onChange={(v) => onChange({ ...f, value: v })}
          source={source}
          error={err('value')}
          readOnly={readOnly}
        />
      )}
      {!presence && mode === 'field' && (
        <Select
          aria-label={`${n} reference field`}
          placeholder={refFields.length ? 'Field' : `no ${type?.toLowerCase()} field in scope`}
          data={refFields}
          value={refValue}
          onChange={(v) => {
            if (!v) return;
            const [rel, col] = v.split('::');
            onChange({ ...f, ref: refOf(rel, col) });
          }}
          error={err('ref')}
          readOnly={readOnly}
          searchable
          w={340}
          size="sm"
          allowDeselect={false}
        />
      )}
      {!presence && mode === 'trait' && (
        <Autocomplete
          aria-label={`${n} reference trait`}
          placeholder="trait name"
          data={names.traits}
          value={(f.ref as { trait: string }).trait}
          onChange={(v) => onChange({ ...f, ref: { trait: v } })}
          error={err('ref') ?? err('ref/trait')}
          readOnly={readOnly}
          w={180}
          size="sm"
        />
      )}
      {onRemove && !readOnly && (
        <Tooltip label="Remove filter">
          <ActionIcon variant="subtle" color="gray" mt={4} onClick={onRemove} aria-label={`Remove ${n}`}>
            <IconTrash size={16} />
          </ActionIcon>
        </Tooltip>
      )}
      {scope.kind === 'trait' && type && (
        <Text size="xs" c="dimmed" mt={8}>
          {type.toLowerCase()}
        </Text>
      )}
    </Group>
  );
}

function refOf(rel: string, column: string): Ref {
  return rel ? { column, relationship: rel } : { column };
}

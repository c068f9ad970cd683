// A filter's constant: typed by the filter's data type, with value suggestions that still accept free entry.
import { Autocomplete, Select, TagsInput, TextInput, type ComboboxItem, type OptionsFilter } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client';
import { constantText, parseConstant, type DataType } from './model';

/** Where suggestions come from (GET /api/v1/suggestions). */
export type SuggestionSource =
  | { entity: string; column: string }
  | { event: string; property: string }
  | { event: string; context: string }
  | { trait: string };

// Values are case-sensitive: the dropdown filters by exact substring, and what is typed is kept as typed.
const caseSensitive: OptionsFilter = ({ options, search }) =>
  (options as ComboboxItem[]).filter((o) => o.value.includes(search));

function useSuggestions(source: SuggestionSource | undefined, enabled: boolean) {
  const complete = source && Object.values(source).every((v) => v);
  return useQuery({
    queryKey: ['suggestions', source],
    queryFn: () => call(api.GET('/api/v1/suggestions', { params: { query: source as Record<string, string> } })),
    enabled: enabled && !!complete,
    staleTime: 300_000,
    retry: false,
  });
}

const PLACEHOLDERS: Partial<Record<DataType, string>> = {
  DATE: 'YYYY-MM-DD',
  TIME: 'HH:MM:SS',
  TIMESTAMP: 'YYYY-MM-DDTHH:MM:SSZ',
  NUMBER: 'a number',
};

export function ValueInput(props: {
  type: DataType | undefined;
  op: string;
  value: unknown;
  onChange: (v: unknown) => void;
  source?: SuggestionSource;
  error?: string;
  label: string;
  readOnly?: boolean;
}) {
  const { type, op, value, onChange, source, error, label, readOnly } = props;
  const [open, setOpen] = useState(false);
  const wantsSuggestions = type === 'STRING' || type === undefined;
  const sugg = useSuggestions(wantsSuggestions ? source : undefined, open);
  const data = sugg.data?.values ?? [];

  if (op === 'one_of' || op === 'not_one_of') {
    const list = Array.isArray(value) ? value : [];
    return (
      <TagsInput
        aria-label={label}
        placeholder="Type a value, Enter to add"
        data={data}
        value={list.map(constantText)}
        onChange={(vs) => onChange(vs.map((v) => parseConstant(v, type)))}
        onDropdownOpen={() => setOpen(true)}
        filter={caseSensitive}
        error={error}
        readOnly={readOnly}
        clearable
        w={280}
        size="sm"
      />
    );
  }
  if (type === 'BOOLEAN') {
    return (
      <Select
        aria-label={label}
        data={['true', 'false']}
        value={typeof value === 'boolean' ? String(value) : null}
        onChange={(v) => onChange(v === 'true')}
        error={error}
        readOnly={readOnly}
        w={110}
        size="sm"
        allowDeselect={false}
      />
    );
  }
  if (!wantsSuggestions) {
    return (
      <TextInput
        aria-label={label}
        placeholder={type ? PLACEHOLDERS[type] : undefined}
        value={constantText(value)}
        onChange={(e) => onChange(parseConstant(e.currentTarget.value, type))}
        error={error}
        readOnly={readOnly}
        w={200}
        size="sm"
      />
    );
  }
  return (
    <Autocomplete
      aria-label={label}
      placeholder="Type or pick a value"
      data={data}
      value={constantText(value)}
      onChange={(v) => onChange(parseConstant(v, type))}
      onDropdownOpen={() => setOpen(true)}
      filter={caseSensitive}
      limit={100}
      maxDropdownHeight={260}
      error={error}
      readOnly={readOnly}
      w={220}
      size="sm"
      comboboxProps={{ withinPortal: true }}
    />
  );
}

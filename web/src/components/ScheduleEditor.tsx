import { Chip, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import type { Schemas } from '../api/client';

type Schedule = Schemas['Schedule'];
const EVERY = ['15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d'] as const;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export function ScheduleEditor({ value, onChange, disabled }: { value: Schedule; onChange: (s: Schedule) => void; disabled?: boolean }) {
  return (
    <Stack gap="xs">
      <Select
        label="Schedule"
        data={[
          { value: 'manual', label: 'Manual (Run now only)' },
          { value: 'interval', label: 'Every interval (aligned to UTC)' },
          { value: 'days', label: 'Chosen days at a time' },
        ]}
        value={value.type}
        onChange={(t) => {
          if (t === 'manual') onChange({ type: 'manual' });
          if (t === 'interval') onChange({ type: 'interval', every: '1h' });
          if (t === 'days') onChange({ type: 'days', days: ['mon'], time: '09:00', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' });
        }}
        disabled={disabled}
        allowDeselect={false}
        w={320}
      />
      {value.type === 'interval' && (
        <Select label="Every" data={[...EVERY]} value={value.every} onChange={(e) => e && onChange({ type: 'interval', every: e as (typeof EVERY)[number] })} disabled={disabled} w={160} allowDeselect={false} />
      )}
      {value.type === 'days' && (
        <>
          <Text size="sm" fw={500}>
            Days
          </Text>
          <Chip.Group multiple value={value.days} onChange={(d) => onChange({ ...value, days: d as (typeof DAYS)[number][] })}>
            <Group gap={6}>
              {DAYS.map((d) => (
                <Chip key={d} value={d} disabled={disabled} size="xs">
                  {d}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          <Group>
            <TextInput label="Time (HH:MM)" value={value.time} onChange={(e) => onChange({ ...value, time: e.currentTarget.value })} disabled={disabled} w={140} />
            <TextInput label="Time zone (IANA)" value={value.timezone} onChange={(e) => onChange({ ...value, timezone: e.currentTarget.value })} disabled={disabled} w={220} />
          </Group>
        </>
      )}
    </Stack>
  );
}

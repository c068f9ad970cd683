// Add activation: destination → action → trigger (with the entity for entity triggers) → save.
import { Alert, Anchor, Badge, Breadcrumbs, Button, Card, Group, Loader, NativeSelect, NumberInput, Radio, SimpleGrid, Stack, Stepper, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, call, type Schemas } from '../api/client';
import { relationshipsUsed } from '../builder/state';
import { useAudience, useDestinationTypes } from '../queries';

type DestinationType = Schemas['DestinationType'];
type Trigger = Schemas['ActivationInput']['trigger'];

export const TRIGGERS: { value: Trigger; label: string; description: string }[] = [
  { value: 'profile_enters', label: 'Profile enters audience', description: 'A track event for each profile that became a member.' },
  { value: 'profile_exits', label: 'Profile exits audience', description: 'A track event for each profile that stopped being a member.' },
  { value: 'entity_enters', label: 'Entity enters audience', description: 'A track event for each (profile, entity) of a relationship that became matched.' },
  { value: 'entity_exits', label: 'Entity exits audience', description: 'A track event for each (profile, entity) that stopped being matched.' },
  { value: 'membership_changed', label: 'Profile enters or exits audience', description: 'An identify event for each profile whose membership changed.' },
];

export const DEFAULT_EVENT: Record<Trigger, string> = {
  profile_enters: 'Audience Entered',
  profile_exits: 'Audience Exited',
  entity_enters: 'Entity Entered',
  entity_exits: 'Entity Exited',
  membership_changed: '',
};


export function ActivationWizard() {
  const { key: audienceKey = '' } = useParams();
  const audience = useAudience(audienceKey);
  const types = useDestinationTypes();
  const [step, setStep] = useState(0);
  const [type, setType] = useState<DestinationType | null>(null);
  const [settings, setSettings] = useState<Record<string, unknown>>({});
  const [action, setAction] = useState<string>('');
  const [trigger, setTrigger] = useState<Trigger>('profile_enters');
  const [entity, setEntity] = useState<string>('');
  const [eventName, setEventName] = useState<string | null>(null); // null: the trigger's default
  const [key, setKey] = useState('');
  const nav = useNavigate();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/v1/activations', {
          body: {
            key,
            audience: audienceKey,
            destination: { type: type!.type, ...settings },
            action,
            trigger,
            ...(trigger.startsWith('entity') ? { entity } : {}),
            ...(trigger !== 'membership_changed' ? { event_name: eventName ?? DEFAULT_EVENT[trigger] } : {}),
            identifiers: [
              { type: 'user_id', as: 'userId' },
              { type: 'email', as: 'context.traits.email' },
            ],
            enabled: false,
          },
        }),
      ),
    onSuccess: async (a) => {
      await qc.invalidateQueries({ queryKey: ['audience', audienceKey] });
      nav(`/activations/${encodeURIComponent(a.key)}`);
    },
  });
  if (!audience.data || !types.data) return <Loader />;
  const rels = [...relationshipsUsed(audience.data.definition as never)];
  const required = (type?.settings ?? []).filter((s) => s.required && !s.common);

  const pick = (t: DestinationType) => {
    setType(t);
    // Required settings start at their default (Braze's endpoint: Segment's, the first instance).
    setSettings(Object.fromEntries(t.settings.filter((s) => s.required && s.default !== undefined).map((s) => [s.name, s.default])));
    setAction(t.actions.find((a) => a.default)?.name ?? t.actions[0]?.name ?? '');
    setKey(`${audienceKey}_to_${t.type}`);
  };

  return (
    <Stack maw={980}>
      <Breadcrumbs>
        <Anchor component={Link} to="/audiences">
          Audiences
        </Anchor>
        <Anchor component={Link} to={`/audiences/${encodeURIComponent(audienceKey)}`}>
          {audience.data.name}
        </Anchor>
        <Text>Add activation</Text>
      </Breadcrumbs>
      <Title order={1} size="h2">
        Add activation
      </Title>
      <Stepper active={step} onStepClick={(s) => s < step && setStep(s)} size="sm">
        <Stepper.Step label="Destination" description={type?.type ?? 'Where events go'}>
          <SimpleGrid cols={{ base: 2, md: 3 }} mt="md">
            {types.data.items.map((t) => (
              <UnstyledButton key={t.type} onClick={() => t.implemented && pick(t)} disabled={!t.implemented} aria-label={`Destination ${t.type}`} aria-pressed={type?.type === t.type}>
                <Card withBorder padding="md" h="100%" style={{ borderColor: type?.type === t.type ? 'var(--mantine-color-violet-6)' : undefined, borderWidth: type?.type === t.type ? 2 : 1 }}>
                  <Group justify="space-between">
                    <Text fw={650} tt="capitalize">
                      {t.type}
                    </Text>
                    {!t.implemented && <Badge color="gray">soon</Badge>}
                  </Group>
                  <Text size="sm" c="dimmed">
                    {t.description}
                  </Text>
                </Card>
              </UnstyledButton>
            ))}
          </SimpleGrid>
          {type && (
            <Card withBorder mt="md">
              <Text fw={600} mb="xs">
                Required settings
              </Text>
              <Stack gap="xs">
                {required.map((s) => (
                  <SettingInput key={s.name} s={s} value={settings[s.name]} onChange={(v) => setSettings({ ...settings, [s.name]: v })} />
                ))}
                {required.length === 0 && (
                  <Text size="sm" c="dimmed">
                    None.
                  </Text>
                )}
              </Stack>
            </Card>
          )}
          <Group justify="flex-end" mt="md">
            <Button disabled={!type || required.some((s) => !settings[s.name])} onClick={() => setStep(1)}>
              Next: action
            </Button>
          </Group>
        </Stepper.Step>
        <Stepper.Step label="Action" description={action || 'What the destination does'}>
          <Radio.Group value={action} onChange={setAction} mt="md" label="Action">
            <Stack mt="xs">
              {type?.actions.map((a) => (
                <Radio key={a.name} value={a.name} label={a.label} description={a.description} />
              ))}
            </Stack>
          </Radio.Group>
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={() => setStep(0)}>
              Back
            </Button>
            <Button disabled={!action} onClick={() => setStep(2)}>
              Next: trigger
            </Button>
          </Group>
        </Stepper.Step>
        <Stepper.Step label="Trigger" description="When events are sent">
          <Radio.Group value={trigger} onChange={(t) => setTrigger(t as Trigger)} mt="md" label="Send an event when">
            <Stack mt="xs">
              {TRIGGERS.map((t) => (
                <Radio key={t.value} value={t.value} label={t.label} description={t.description} disabled={t.value.startsWith('entity') && rels.length === 0} />
              ))}
            </Stack>
          </Radio.Group>
          {trigger.startsWith('entity') && (
            <Radio.Group value={entity} onChange={setEntity} mt="md" label="Trigger entity (a relationship the audience uses)" required>
              <Group mt="xs">
                {rels.map((r) => (
                  <Radio key={r} value={r} label={r} />
                ))}
              </Group>
            </Radio.Group>
          )}
          {trigger !== 'membership_changed' && (
            <TextInput mt="md" maw={360} label="Event name" description="The track event's name" value={eventName ?? DEFAULT_EVENT[trigger]} onChange={(e) => setEventName(e.currentTarget.value)} />
          )}
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={() => setStep(1)}>
              Back
            </Button>
            <Button disabled={trigger.startsWith('entity') && !entity} onClick={() => setStep(3)}>
              Next: save
            </Button>
          </Group>
        </Stepper.Step>
        <Stepper.Step label="Save" description="Name it">
          <Stack mt="md" maw={520}>
            <TextInput label="Activation key" value={key} onChange={(e) => setKey(e.currentTarget.value)} required />
            <Text size="sm" c="dimmed">
              The activation starts disabled. After saving you set its identifiers, enrichment and mapping, send a test event, then enable it.
            </Text>
            {create.error && (
              <Alert color="red" role="alert">
                {create.error.message}
                {create.error instanceof ApiError &&
                  create.error.body?.errors?.map((e, i) => (
                    <Text size="sm" key={i}>
                      {e.pointer}: {e.message}
                    </Text>
                  ))}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setStep(2)}>
                Back
              </Button>
              <Button onClick={() => create.mutate()} loading={create.isPending}>
                Save activation
              </Button>
            </Group>
          </Stack>
        </Stepper.Step>
      </Stepper>
    </Stack>
  );
}

export function SettingInput({ s, value, onChange, disabled }: { s: Schemas['DestinationSetting']; value: unknown; onChange: (v: unknown) => void; disabled?: boolean }) {
  const label = s.label;
  if (s.choices?.length)
    return (
      <NativeSelect
        label={label}
        description={s.description}
        data={[...(s.required ? [] : [{ value: '', label: s.default ? `default (${s.default})` : 'none' }]), ...s.choices.map((c) => ({ value: c, label: c }))]}
        value={(value as string) ?? ''}
        onChange={(e) => onChange(e.currentTarget.value || undefined)}
        disabled={disabled}
        required={s.required}
      />
    );
  if (s.kind === 'integer')
    return <NumberInput label={label} description={s.description} value={(value as number) ?? ''} onChange={(v) => onChange(v === '' ? undefined : Number(v))} max={s.max} disabled={disabled} required={s.required} />;
  if (s.kind === 'object' || s.kind === 'object of strings' || s.kind === 'object of secrets')
    return (
      <TextInput
        label={`${label} (JSON)`}
        description={s.description}
        defaultValue={value === undefined ? '' : JSON.stringify(value)}
        onBlur={(e) => {
          const t = e.currentTarget.value.trim();
          try {
            onChange(t ? JSON.parse(t) : undefined);
          } catch {
            /* kept as typed until it parses */
          }
        }}
        disabled={disabled}
        required={s.required}
      />
    );
  return (
    <TextInput
      label={label}
      description={s.description}
      type={s.secret ? 'password' : s.kind === 'url' ? 'url' : 'text'}
      value={(value as string) ?? ''}
      onChange={(e) => onChange(e.currentTarget.value)}
      disabled={disabled}
      required={s.required}
    />
  );
}

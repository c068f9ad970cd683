// Alerts on one audience (size change) or one activation (event health), with their channels.
import { Alert, Badge, Button, Card, Group, NumberInput, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Schemas } from '../api/client';
import { useMe } from '../auth';
import { fmtTime } from '../format';

type Channel = Schemas['AlertChannel'];

export function AlertsPanel({ kind, target }: { kind: 'audience_size' | 'event_health'; target: string }) {
  const me = useMe();
  const qc = useQueryClient();
  const alerts = useQuery({ queryKey: ['alerts'], queryFn: () => call(api.GET('/api/v1/alerts')) });
  const mine = (alerts.data?.items ?? []).filter((a) => a.kind === kind && a.target === target);
  const [threshold, setThreshold] = useState<number>(20);
  const [channel, setChannel] = useState<'in_app' | 'email' | 'slack'>('in_app');
  const [to, setTo] = useState(me.user.email);
  const create = useMutation({
    mutationFn: () => {
      const ch: Channel = channel === 'email' ? { type: 'email', to: [to] } : channel === 'slack' ? { type: 'slack', url: to } : { type: 'in_app' };
      return call(api.POST('/api/v1/alerts', { body: { kind, target, threshold_pct: threshold, channels: [ch], enabled: true } }));
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const isAdmin = me.permissions.includes('admin');
  const del = useMutation({
    mutationFn: (id: number) => call(api.DELETE('/api/v1/alerts/{id}', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const toggle = useMutation({
    mutationFn: (a: Schemas['Alert']) =>
      call(api.PUT('/api/v1/alerts/{id}', { params: { path: { id: a.id } }, body: { kind: a.kind, target: a.target, threshold_pct: a.threshold_pct, channels: a.channels, enabled: !a.enabled } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const what = kind === 'audience_size' ? 'the member count differs from 24 h earlier' : 'events received over 24 h differ from the previous 24 h';
  return (
    <Stack maw={900}>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          New alert
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          Fires when {what} by more than the threshold, either way.
        </Text>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Group align="flex-end">
            <NumberInput label="Threshold (%)" value={threshold} onChange={(v) => setThreshold(Number(v) || 0)} min={0.1} w={140} />
            <Select
              label="Notify by"
              data={[
                { value: 'in_app', label: 'In-app notification' },
                { value: 'email', label: 'Email' },
                { value: 'slack', label: 'Slack webhook' },
              ]}
              value={channel}
              onChange={(c) => c && setChannel(c as typeof channel)}
              allowDeselect={false}
              w={200}
            />
            {channel !== 'in_app' && <TextInput label={channel === 'email' ? 'Email' : 'Webhook URL'} value={to} onChange={(e) => setTo(e.currentTarget.value)} w={260} />}
            <Button type="submit" loading={create.isPending}>
              Create alert
            </Button>
          </Group>
        </form>
        {create.error && (
          <Alert color="red" mt="sm">
            {create.error.message}
          </Alert>
        )}
      </Card>
      <Card withBorder p={0}>
        <Table verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Threshold</Table.Th>
              <Table.Th>Channels</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Last checked</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mine.map((a) => {
              const mayEdit = isAdmin || a.created_by === me.user.id;
              return (
                <Table.Tr key={a.id}>
                  <Table.Td>{a.threshold_pct}%</Table.Td>
                  <Table.Td>{a.channels.map((c) => c.type.replace('_', '-')).join(', ')}</Table.Td>
                  <Table.Td>{a.firing ? <Badge color="red">firing</Badge> : <Badge color="teal" variant="light">ok</Badge>}</Table.Td>
                  <Table.Td>{fmtTime(a.last_checked_at)}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end">
                      <Switch aria-label="Alert enabled" checked={a.enabled} disabled={!mayEdit} onChange={() => toggle.mutate(a)} />
                      {mayEdit && (
                        <Button size="compact-sm" variant="subtle" color="red" onClick={() => del.mutate(a.id)} leftSection={<IconTrash size={14} />}>
                          Delete
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        {mine.length === 0 && (
          <Text c="dimmed" p="md" size="sm">
            No alert yet.
          </Text>
        )}
      </Card>
    </Stack>
  );
}

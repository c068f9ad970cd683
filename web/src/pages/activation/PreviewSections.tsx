// The activation's live side: payload preview, personalization syntax and the test event.
import { ActionIcon, Alert, Badge, Button, Code, CopyButton, Group, Loader, Select, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { IconCheck, IconCopy, IconSend } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { api, call, type Activation } from '../../api/client';
import { Section } from './SetupSections';

export function PayloadPreview({ a, draft }: { a: Activation; draft: { mapping: unknown } | null }) {
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

export function Personalization({ a }: { a: Activation }) {
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

export function TestEvent({ a, canEdit }: { a: Activation; canEdit: boolean }) {
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

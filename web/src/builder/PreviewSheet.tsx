// The preview side sheet: a long operation (POST /api/v1/previews, then poll), with members, matched entities and
// "why in / why not" for one profile (POST /api/v1/explain).
import { Alert, Badge, Button, Code, Drawer, Group, Loader, Paper, Select, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { IconCheck, IconX } from '@tabler/icons-react';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ApiError, call, type Schemas } from '../api/client';
import type { Definition } from './model';
import { fmtNum } from '../format';

type Preview = Schemas['Preview'];
type Explanation = Schemas['Explanation'];

async function runPreview(definition: Definition, signal: AbortSignal): Promise<Preview> {
  let op = await call(api.POST('/api/v1/previews', { body: { definition: definition as never }, params: { query: { wait_ms: 2000 } as never } }));
  while (!op.finished_at) {
    if (signal.aborted) {
      await api.DELETE('/api/v1/operations/{id}', { params: { path: { id: op.id } } });
      throw new Error('cancelled');
    }
    op = await call(api.GET('/api/v1/operations/{id}', { params: { path: { id: op.id }, query: { wait_ms: 2000 } as never } }));
  }
  if (op.status !== 'succeeded' || !op.result) throw new Error(op.error?.message ?? `preview ${op.status}`);
  return op.result;
}

export function PreviewSheet(props: { opened: boolean; onClose: () => void; definition: Definition }) {
  const { opened, onClose, definition } = props;
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const defText = JSON.stringify(definition);

  useEffect(() => {
    if (!opened) return;
    const ctrl = new AbortController();
    setBusy(true);
    setError(null);
    setPreview(null);
    runPreview(JSON.parse(defText), ctrl.signal)
      .then((p) => !ctrl.signal.aborted && setPreview(p))
      .catch((e) => {
        if (ctrl.signal.aborted) return;
        const errs = e instanceof ApiError ? e.body?.errors?.map((x) => x.message).join('; ') : undefined;
        setError(errs || (e as Error).message);
      })
      .finally(() => !ctrl.signal.aborted && setBusy(false));
    return () => ctrl.abort();
  }, [opened, defText]);

  return (
    <Drawer opened={opened} onClose={onClose} position="right" size="xl" title={<Title order={2} size="h3">Preview</Title>} closeButtonProps={{ 'aria-label': 'Close preview' }}>
      {busy && (
        <Group>
          <Loader size="sm" />
          <Text size="sm">Computing the audience on the warehouse…</Text>
        </Group>
      )}
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {preview && <PreviewBody preview={preview} definition={definition} />}
    </Drawer>
  );
}

function PreviewBody({ preview, definition }: { preview: Preview; definition: Definition }) {
  const rels = Object.keys(preview.relationships);
  const [rel, setRel] = useState<string | null>(rels[0] ?? null);
  const relData = rel ? preview.relationships[rel] : undefined;
  return (
    <Stack>
      <Paper withBorder p="md" bg="violet.0">
        <Text size="sm" c="dimmed">
          Profiles in the audience
        </Text>
        <Text fz={34} fw={700} data-testid="preview-count">
          {fmtNum(preview.count)}
        </Text>
      </Paper>
      <Tabs defaultValue="members" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="members">Members</Tabs.Tab>
          <Tabs.Tab value="entities">Entities</Tabs.Tab>
          <Tabs.Tab value="why">Why in / why not</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="members" pt="sm">
          <Text size="xs" c="dimmed" mb="xs">
            {preview.members.length > 50 ? `The first 50 of a sample of ${fmtNum(preview.members.length)} members` : `A sample of ${preview.members.length} members`}, with their
            identifiers and matched entities (10 per level).
          </Text>
          <Stack gap="xs" data-testid="preview-members">
            {preview.members.slice(0, 50).map((m) => (
              <Paper key={m.profile} withBorder p="xs">
                <Text className="mono" fw={600}>
                  {m.profile}
                </Text>
                <Group gap={4} mt={4}>
                  {m.identifiers.map((i, k) => (
                    <Badge key={k} variant="outline" color="gray" tt="none" size="sm">
                      {i.type}: {i.value}
                    </Badge>
                  ))}
                </Group>
                {Object.entries(m.entities).map(([r, keys]) => (
                  <Text size="xs" key={r} mt={4}>
                    <Code>{r}</Code> {keys.slice(0, 10).join(', ')}
                    {keys.length > 10 ? ` … (+${keys.length - 10})` : ''}
                  </Text>
                ))}
              </Paper>
            ))}
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="entities" pt="sm">
          {rels.length === 0 ? (
            <Text size="sm" c="dimmed">
              This audience matches no entity (it has no entity condition, or none that holds).
            </Text>
          ) : (
            <Stack>
              <Select label="Relationship" data={rels} value={rel} onChange={setRel} allowDeselect={false} w={300} />
              {relData && (
                <>
                  <Text>
                    <b data-testid="entity-count">{fmtNum(relData.count)}</b> matched entities
                  </Text>
                  <Table striped withTableBorder>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Profile</Table.Th>
                        <Table.Th>Entity key</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {relData.sample.map((s, i) => (
                        <Table.Tr key={i}>
                          <Table.Td className="mono">{s.profile}</Table.Td>
                          <Table.Td className="mono">{s.key}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </>
              )}
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="why" pt="sm">
          <Explain definition={definition} sample={preview.members[0]?.profile} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

export function Explain({ definition, audience, sample }: { definition?: Definition; audience?: string; sample?: string }) {
  const [profile, setProfile] = useState(sample ?? '');
  const m = useMutation({
    mutationFn: (p: string) => call(api.POST('/api/v1/explain', { body: { profile: p, ...(audience ? { audience } : { definition: definition as never }) } })),
  });
  return (
    <Stack>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          m.mutate(profile);
        }}
      >
        <Group align="flex-end">
          <TextInput label="Profile (canonical segment id)" value={profile} onChange={(e) => setProfile(e.currentTarget.value)} w={300} />
          <Button type="submit" loading={m.isPending} variant="light">
            Explain
          </Button>
        </Group>
      </form>
      {m.error && <Alert color="red">{m.error.message}</Alert>}
      {m.data && <ExplanationView e={m.data} />}
    </Stack>
  );
}

function ExplanationView({ e }: { e: Explanation }) {
  if (!e.exists) return <Alert color="yellow">No profile {e.profile} in the warehouse.</Alert>;
  return (
    <Stack gap="xs" data-testid="explanation">
      <Alert color={e.member ? 'teal' : 'gray'} icon={e.member ? <IconCheck /> : <IconX />}>
        <b>{e.profile}</b> is {e.member ? 'in' : 'not in'} the audience.
      </Alert>
      {(e.groups ?? []).map((g) => (
        <Paper key={g.index} withBorder p="xs">
          <Group gap="xs" mb={4}>
            <Text fw={600} size="sm">
              Group {g.index + 1}
            </Text>
            <Badge color={g.holds ? 'teal' : 'gray'} size="sm">
              {g.holds ? 'holds' : 'does not hold'}
            </Badge>
            <Text size="xs" c="dimmed">
              {g.operator.toUpperCase()}
            </Text>
          </Group>
          {g.conditions.map((c) => (
            <Group key={c.pointer} gap="xs" wrap="nowrap" align="flex-start">
              {c.holds ? <IconCheck size={16} color="teal" /> : <IconX size={16} color="gray" />}
              <div>
                <Text size="sm">{c.condition}</Text>
                <Text size="xs" c="dimmed">
                  {c.because}
                </Text>
              </div>
            </Group>
          ))}
        </Paper>
      ))}
    </Stack>
  );
}

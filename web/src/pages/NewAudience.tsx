// New audience → choose Linked audience → build → name, description, folder → Create (disabled at first).
import { Alert, Anchor, Autocomplete, Breadcrumbs, Button, Card, Group, Loader, Modal, SimpleGrid, Stack, Text, TextInput, Textarea, ThemeIcon, Title, UnstyledButton } from '@mantine/core';
import { IconEye, IconHierarchy3, IconUsers } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, call } from '../api/client';
import { Builder } from '../builder/Builder';
import { PreviewSheet } from '../builder/PreviewSheet';
import { fromJson, toJson, type State } from '../builder/state';
import { graphErrorMessage, useGraph } from '../graph';
import { useAudienceNames } from '../queries';


function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100);
}

export function NewAudience() {
  const [kind, setKind] = useState<'linked' | null>(null);
  const graph = useGraph();
  const audiences = useAudienceNames();
  const [state, setState] = useState<State>(() => fromJson({ groups: [{ conditions: [] }] }));
  const [previewOpen, setPreviewOpen] = useState(false);
  const [saveOpen, setSaveOpen] = useState(false);

  if (!kind) {
    return (
      <Stack maw={900}>
        <Breadcrumbs>
          <Anchor component={Link} to="/audiences">
            Audiences
          </Anchor>
          <Text>New audience</Text>
        </Breadcrumbs>
        <Title order={1} size="h2">
          What kind of audience?
        </Title>
        <SimpleGrid cols={2}>
          <UnstyledButton onClick={() => setKind('linked')} aria-label="Linked audience" data-testid="choose-linked">
            <Card withBorder padding="lg" h="100%" style={{ borderColor: 'var(--mantine-color-violet-4)' }}>
              <ThemeIcon size={44} radius="md" variant="light">
                <IconHierarchy3 />
              </ThemeIcon>
              <Text fw={650} mt="sm" size="lg">
                Linked audience
              </Text>
              <Text size="sm" c="dimmed">
                Select profiles by traits, events, other audiences and the entities related to them in your data graph — accounts, carts,
                products — down to six levels, with a count at each level.
              </Text>
            </Card>
          </UnstyledButton>
          <Card withBorder padding="lg" bg="gray.0">
            <ThemeIcon size={44} radius="md" variant="light" color="gray">
              <IconUsers />
            </ThemeIcon>
            <Text fw={650} mt="sm" size="lg" c="dimmed">
              Start from an existing audience
            </Text>
            <Text size="sm" c="dimmed">
              Open an audience and use Clone on its Overview tab to start from a copy of its definition.
            </Text>
          </Card>
        </SimpleGrid>
      </Stack>
    );
  }

  if (!graph.index) return graph.error ? <Alert color="red">{graphErrorMessage(graph.error)}</Alert> : <Loader />;
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Breadcrumbs>
            <Anchor component={Link} to="/audiences">
              Audiences
            </Anchor>
            <Text>New linked audience</Text>
          </Breadcrumbs>
          <Title order={1} size="h2" mt={4}>
            New linked audience
          </Title>
        </div>
        <Group>
          <Button variant="default" leftSection={<IconEye size={16} />} onClick={() => setPreviewOpen(true)}>
            Preview
          </Button>
          <Button onClick={() => setSaveOpen(true)}>Next: name and save</Button>
        </Group>
      </Group>
      <Builder state={state} onChange={setState} graph={graph.index} audiences={audiences} />
      <PreviewSheet opened={previewOpen} onClose={() => setPreviewOpen(false)} definition={toJson(state)} />
      <SaveModal opened={saveOpen} onClose={() => setSaveOpen(false)} state={state} folders={[...new Set(audiences.map((a) => a.folder).filter(Boolean))]} />
    </Stack>
  );
}

function SaveModal(props: { opened: boolean; onClose: () => void; state: State; folders: string[] }) {
  const [name, setName] = useState('');
  const [key, setKey] = useState('');
  const [keyEdited, setKeyEdited] = useState(false);
  const [description, setDescription] = useState('');
  const [folder, setFolder] = useState('');
  const nav = useNavigate();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      call(api.POST('/api/v1/audiences', { body: { key, name, description, folder, definition: toJson(props.state) as never, enabled: false, schedule: { type: 'manual' } } })),
    onSuccess: async (a) => {
      await qc.invalidateQueries({ queryKey: ['audiences'] });
      nav(`/audiences/${encodeURIComponent(a.key)}`);
    },
  });
  const err = create.error instanceof ApiError ? create.error.body : undefined;
  const fieldErr = (p: string) => err?.errors?.filter((e) => e.pointer === p).map((e) => e.message).join('; ') || undefined;
  const defErrors = err?.errors?.filter((e) => e.pointer.startsWith('/definition')) ?? [];
  return (
    <Modal opened={props.opened} onClose={props.onClose} title={<Title order={2} size="h4">Name and save the audience</Title>} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setName(v);
              if (!keyEdited) setKey(slugify(v));
            }}
            data-autofocus
          />
          <TextInput
            label="Key"
            description="Letters, digits, _ and -; it names the audience in events and cannot change."
            required
            value={key}
            onChange={(e) => {
              setKeyEdited(true);
              setKey(e.currentTarget.value);
            }}
            error={fieldErr('/key')}
          />
          <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize minRows={2} />
          <Autocomplete label="Folder" placeholder="No folder" data={props.folders} value={folder} onChange={setFolder} />
          <Text size="sm" c="dimmed">
            The audience starts disabled: enable it on its Overview tab to compute it on its schedule.
          </Text>
          {create.error && (
            <Alert color="red" role="alert">
              {create.error.message}
              {defErrors.map((e, i) => (
                <Text size="sm" key={i}>
                  {e.pointer}: {e.message}
                </Text>
              ))}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={props.onClose}>
              Back to the builder
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create audience
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

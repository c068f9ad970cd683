// The Builder tab: edit the definition; saving warns first when an activation uses a relationship the edit removes.
import { Alert, Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEye } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Audience } from '../../api/client';
import { useCan } from '../../auth';
import { Builder } from '../../builder/Builder';
import { PreviewSheet } from '../../builder/PreviewSheet';
import { fromJson, toJson, type State } from '../../builder/state';
import { useGraph } from '../../graph';
import { useAudienceNames } from '../NewAudience';

export function BuilderTab({ a }: { a: Audience }) {
  const canEdit = useCan('edit_audiences');
  const graph = useGraph();
  const audiences = useAudienceNames();
  const qc = useQueryClient();
  const [state, setState] = useState<State>(() => fromJson(a.definition as never));
  const [previewOpen, setPreviewOpen] = useState(false);
  const [warnings, setWarnings] = useState<{ activation: string; relationship: string; message: string }[] | null>(null);
  const dirty = JSON.stringify(toJson(state)) !== JSON.stringify(a.definition);
  const put = (dry: boolean) =>
    call(api.PUT('/api/v1/audiences/{key}', { params: { path: { key: a.key }, query: dry ? { dry_run: 'true' } : {} }, body: { definition: toJson(state) as never } }));
  const save = useMutation({
    mutationFn: async (force: boolean) => {
      if (!force) {
        const dry = await put(true);
        if (dry.warnings && dry.warnings.length) {
          setWarnings(dry.warnings);
          return null;
        }
      }
      return put(false);
    },
    onSuccess: (r) => {
      if (!r) return;
      setWarnings(null);
      notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'teal', message: 'Audience saved' });
      qc.setQueryData(['audience', a.key], r);
    },
  });
  if (!graph.index) return <Loader />;
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          {canEdit ? 'Edit the definition; saving raises its version and the next run uses it.' : 'You can view this definition; editing needs the Engage User role.'}
        </Text>
        <Group>
          <Button variant="default" leftSection={<IconEye size={16} />} onClick={() => setPreviewOpen(true)}>
            Preview
          </Button>
          {canEdit && (
            <>
              <Button variant="subtle" disabled={!dirty} onClick={() => setState(fromJson(a.definition as never))}>
                Discard changes
              </Button>
              <Button disabled={!dirty} loading={save.isPending} onClick={() => save.mutate(false)}>
                Save
              </Button>
            </>
          )}
        </Group>
      </Group>
      {save.error && <Alert color="red">{save.error.message}</Alert>}
      <Builder state={state} onChange={setState} graph={graph.index} audiences={audiences} selfKey={a.key} readOnly={!canEdit} />
      <PreviewSheet opened={previewOpen} onClose={() => setPreviewOpen(false)} definition={toJson(state)} />
      <Modal opened={!!warnings} onClose={() => setWarnings(null)} title="This change affects activations">
        <Stack>
          {warnings?.map((w, i) => (
            <Alert key={i} color="yellow" title={`${w.activation} uses ${w.relationship}`}>
              {w.message}
            </Alert>
          ))}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setWarnings(null)}>
              Keep editing
            </Button>
            <Button color="orange" onClick={() => save.mutate(true)} loading={save.isPending}>
              Save anyway
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

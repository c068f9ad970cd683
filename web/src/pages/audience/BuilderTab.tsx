// The Builder tab: edit the definition; saving warns first when an activation uses a relationship the edit removes.
import { Alert, Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEye } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, call, type Audience } from '../../api/client';
import { useCan } from '../../auth';
import { Builder } from '../../builder/Builder';
import { PreviewSheet } from '../../builder/PreviewSheet';
import { fromJson, toJson, type State } from '../../builder/state';
import { graphErrorMessage, useGraph } from '../../graph';
import { useAudienceNames } from '../../queries';

export function BuilderTab({ a }: { a: Audience }) {
  const canEdit = useCan('edit_audiences');
  const graph = useGraph();
  const audiences = useAudienceNames();
  const qc = useQueryClient();
  const [state, setState] = useState<State>(() => fromJson(a.definition as never));
  const [previewOpen, setPreviewOpen] = useState(false);
  const [warnings, setWarnings] = useState<{ activation: string; relationship: string; message: string }[] | null>(null);
  const [conflict, setConflict] = useState(false);
  // The version the edit starts from: saving sends its ETag (If-Match), so an edit made meanwhile elsewhere is not
  // overwritten (412).
  const [etag, setEtag] = useState<string | null>(null);
  useEffect(() => {
    void api.GET('/api/v1/audiences/{key}', { params: { path: { key: a.key } } }).then((r) => setEtag(r.response.headers.get('ETag')));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [a.key]);
  const dirty = JSON.stringify(toJson(state)) !== JSON.stringify(a.definition);
  const put = async (dry: boolean) => {
    const r = await api.PUT('/api/v1/audiences/{key}', {
      params: { path: { key: a.key }, query: dry ? { dry_run: 'true' } : {}, header: etag ? { 'If-Match': etag } : {} },
      body: { definition: toJson(state) as never },
    });
    if (r.response.status === 412) {
      setConflict(true);
      throw new Error('This audience changed since you opened it.');
    }
    const data = await call(Promise.resolve(r));
    if (!dry) setEtag(r.response.headers.get('ETag'));
    return data;
  };
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
  if (!graph.index) return graph.error ? <Alert color="red">{graphErrorMessage(graph.error)}</Alert> : <Loader />;
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
      {conflict ? (
        <Alert color="orange" role="alert" title="This audience changed since you opened it">
          <Group justify="space-between">
            <Text size="sm">Someone saved another version meanwhile; your edit was not saved. Reload to start from the latest version.</Text>
            <Button
              size="xs"
              variant="light"
              color="orange"
              onClick={async () => {
                const r = await api.GET('/api/v1/audiences/{key}', { params: { path: { key: a.key } } });
                if (r.data) {
                  qc.setQueryData(['audience', a.key], r.data);
                  setState(fromJson(r.data.definition as never));
                  setEtag(r.response.headers.get('ETag'));
                  setConflict(false);
                  save.reset();
                }
              }}
            >
              Reload the latest version
            </Button>
          </Group>
        </Alert>
      ) : (
        save.error && <Alert color="red">{save.error.message}</Alert>
      )}
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

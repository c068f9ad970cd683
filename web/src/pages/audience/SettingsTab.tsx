// The Settings tab: name, description, folder and schedule.
import { Alert, Button, Card, Group, Stack, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call, type Audience } from '../../api/client';
import { useCan } from '../../auth';
import { ScheduleEditor } from '../../components/ScheduleEditor';

export function SettingsTab({ a }: { a: Audience }) {
  const canEdit = useCan('edit_audiences');
  const qc = useQueryClient();
  const [name, setName] = useState(a.name);
  const [description, setDescription] = useState(a.description);
  const [folder, setFolder] = useState(a.folder);
  const [schedule, setSchedule] = useState(a.schedule);
  const save = useMutation({
    mutationFn: () => call(api.PUT('/api/v1/audiences/{key}', { params: { path: { key: a.key } }, body: { name, description, folder, schedule } })),
    onSuccess: (r) => {
      qc.setQueryData(['audience', a.key], r);
      qc.invalidateQueries({ queryKey: ['audiences'] });
      notifications.show({ closeButtonProps: { 'aria-label': 'Dismiss' }, color: 'teal', message: 'Settings saved' });
    },
  });
  return (
    <Card withBorder maw={720}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={!canEdit} />
          <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} disabled={!canEdit} />
          <TextInput label="Folder" value={folder} onChange={(e) => setFolder(e.currentTarget.value)} disabled={!canEdit} />
          <TextInput label="Key" value={a.key} readOnly disabled description="The key cannot change." />
          <ScheduleEditor value={schedule} onChange={setSchedule} disabled={!canEdit} />
          {save.error && <Alert color="red">{save.error.message}</Alert>}
          {canEdit && (
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                Save settings
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

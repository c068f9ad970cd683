import { ActionIcon, Badge, Button, Divider, Group, Indicator, Popover, ScrollArea, Stack, Text } from '@mantine/core';
import { IconBell } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client';
import { fmtTime } from '../format';

export function NotificationsBell() {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['notifications'],
    queryFn: () => call(api.GET('/api/v1/notifications', { params: { query: { limit: 20 } } })),
    refetchInterval: 30_000,
  });
  const markAll = useMutation({
    mutationFn: (ids?: number[]) => call(api.POST('/api/v1/notifications/read', { body: ids ? { ids } : {} })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
  const unread = q.data?.unread ?? 0;
  return (
    <Popover width={360} position="bottom-end" shadow="md" withinPortal>
      <Popover.Target>
        <ActionIcon variant="subtle" size="lg" aria-label={`Notifications (${unread} unread)`}>
          <Indicator disabled={unread === 0} label={unread} size={16} color="red" offset={2}>
            <IconBell size={20} />
          </Indicator>
        </ActionIcon>
      </Popover.Target>
      <Popover.Dropdown p={0}>
        <Group justify="space-between" p="sm">
          <Text fw={600}>Notifications</Text>
          <Button size="compact-xs" variant="subtle" disabled={unread === 0} onClick={() => markAll.mutate(undefined)}>
            Mark all read
          </Button>
        </Group>
        <Divider />
        <ScrollArea.Autosize mah={360}>
          <Stack gap={0}>
            {(q.data?.items ?? []).length === 0 && (
              <Text size="sm" c="dimmed" p="md">
                No notifications yet. Alerts you create on an audience or activation notify you here.
              </Text>
            )}
            {(q.data?.items ?? []).map((n) => (
              <div key={n.id} style={{ padding: '10px 12px', borderBottom: '1px solid var(--mantine-color-gray-2)' }}>
                <Group justify="space-between" gap="xs">
                  <Text size="sm" fw={600}>
                    {n.title}
                  </Text>
                  {!n.read_at && <Badge size="xs">new</Badge>}
                </Group>
                <Text size="xs">{n.body}</Text>
                <Text size="xs" c="dimmed">
                  {fmtTime(n.created_at)}
                </Text>
                {!n.read_at && (
                  <Button size="compact-xs" variant="subtle" px={0} onClick={() => markAll.mutate([n.id])}>
                    Mark read
                  </Button>
                )}
              </div>
            ))}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  );
}

import { Badge } from '@mantine/core';

const RUN_COLORS: Record<string, string> = {
  succeeded: 'teal',
  completed: 'teal',
  failed: 'red',
  running: 'blue',
  queued: 'gray',
  cancelled: 'orange',
};

export function RunStatusBadge({ status }: { status: string | undefined }) {
  if (!status) return <Badge variant="outline" color="gray">never run</Badge>;
  return (
    <Badge variant="light" color={RUN_COLORS[status] ?? 'gray'}>
      {status}
    </Badge>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return (
    <Badge variant="dot" color={enabled ? 'teal' : 'gray'}>
      {enabled ? 'Enabled' : 'Disabled'}
    </Badge>
  );
}

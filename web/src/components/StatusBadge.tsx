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
    <Badge variant="light" color={RUN_COLORS[status] ?? 'gray'} style={{ flexShrink: 0, overflow: 'visible' }}>
      {status}
    </Badge>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return (
    <Badge variant="dot" color={enabled ? 'teal' : 'gray'} style={{ flexShrink: 0, overflow: 'visible' }}>
      {enabled ? 'Enabled' : 'Disabled'}
    </Badge>
  );
}

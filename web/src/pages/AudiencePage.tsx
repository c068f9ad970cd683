// An audience: Overview, Builder, Runs, Settings and Alerts tabs (each in ./audience/).
import { Alert, Anchor, Badge, Breadcrumbs, Group, Loader, Stack, Tabs, Text, Title } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { AlertsPanel } from '../components/AlertsPanel';
import { EnabledBadge } from '../components/StatusBadge';
import { BuilderTab } from './audience/BuilderTab';
import { OverviewTab } from './audience/OverviewTab';
import { RunsTab } from './audience/RunsTab';
import { useAudience } from '../queries';
import { SettingsTab } from './audience/SettingsTab';

export function AudiencePage() {
  const { key = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'overview';
  const q = useAudience(key);
  if (q.isPending) return <Loader />;
  if (q.error) return <Alert color="red">{q.error.message}</Alert>;
  const a = q.data;
  return (
    <Stack>
      <div>
        <Breadcrumbs>
          <Anchor component={Link} to="/audiences">
            Audiences
          </Anchor>
          {a.folder && <Text>{a.folder}</Text>}
          <Text>{a.name}</Text>
        </Breadcrumbs>
        <Group mt={4} gap="sm">
          <Title order={1} size="h2">
            {a.name}
          </Title>
          <EnabledBadge enabled={a.enabled} />
          {a.state && a.state !== 'idle' && <Badge variant="light">{a.state}</Badge>}
        </Group>
        {a.description && (
          <Text c="dimmed" size="sm">
            {a.description}
          </Text>
        )}
      </div>
      <Tabs value={tab} onChange={(t) => setParams(t && t !== 'overview' ? { tab: t } : {})} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="builder">Builder</Tabs.Tab>
          <Tabs.Tab value="runs">Runs</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
          <Tabs.Tab value="alerts">Alerts</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <OverviewTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="builder" pt="md">
          <BuilderTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="runs" pt="md">
          <RunsTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <SettingsTab a={a} />
        </Tabs.Panel>
        <Tabs.Panel value="alerts" pt="md">
          <AlertsPanel kind="audience_size" target={a.key} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

import { AppShell, Burger, Center, Group, Loader, NavLink, Text, Title, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconChartArrows, IconHierarchy3, IconUsersGroup } from '@tabler/icons-react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { MeContext, useMeQuery } from './auth';
import { NotificationsBell } from './components/NotificationsBell';
import { UserMenu } from './components/UserMenu';
import { ActivationPage } from './pages/ActivationPage';
import { ActivationWizard } from './pages/ActivationWizard';
import { AudiencePage } from './pages/AudiencePage';
import { AudiencesList } from './pages/AudiencesList';
import { DataGraphPage } from './pages/DataGraphPage';
import { DeliveryOverview } from './pages/DeliveryOverview';
import { LoginPage } from './pages/LoginPage';
import { NewAudience } from './pages/NewAudience';

const NAV = [
  { to: '/audiences', label: 'Audiences', icon: IconUsersGroup },
  { to: '/delivery', label: 'Delivery overview', icon: IconChartArrows },
  { to: '/graph', label: 'Data graph', icon: IconHierarchy3 },
];

export function Logo() {
  return (
    <Group gap={8} wrap="nowrap">
      <img src="/favicon.svg" width={26} height={26} alt="" />
      <Title order={3} fw={750} c="violet.8" style={{ letterSpacing: '-0.5px' }}>
        kith
      </Title>
    </Group>
  );
}

export function App() {
  const me = useMeQuery();
  const [opened, { toggle }] = useDisclosure();
  const location = useLocation();
  if (me.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (!me.data) return <LoginPage />;
  return (
    <MeContext.Provider value={me.data}>
      <AppShell header={{ height: 56 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Group>
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
              <UnstyledButton component={Link} to="/audiences" aria-label="kith home">
                <Logo />
              </UnstyledButton>
              <Text size="sm" c="dimmed" visibleFrom="md">
                Linked audiences, computed in your warehouse
              </Text>
            </Group>
            <Group gap="xs">
              <NotificationsBell />
              <UserMenu />
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="sm" aria-label="Main" className="app-navbar">
          <div className="app-navbar-links">
            {NAV.map((n) => (
              <NavLink
                key={n.to}
                component={Link}
                to={n.to}
                label={n.label}
                leftSection={<n.icon size={18} stroke={1.6} />}
                active={location.pathname.startsWith(n.to)}
                variant="light"
                style={{ borderRadius: 8 }}
              />
            ))}
          </div>
        </AppShell.Navbar>
        <AppShell.Main>
          <Routes>
            <Route path="/" element={<Navigate to="/audiences" replace />} />
            <Route path="/audiences" element={<AudiencesList />} />
            <Route path="/audiences/new" element={<NewAudience />} />
            <Route path="/audiences/:key" element={<AudiencePage />} />
            <Route path="/audiences/:key/activations/new" element={<ActivationWizard />} />
            <Route path="/activations/:key" element={<ActivationPage />} />
            <Route path="/delivery" element={<DeliveryOverview />} />
            <Route path="/graph" element={<DataGraphPage />} />
            <Route path="*" element={<Navigate to="/audiences" replace />} />
          </Routes>
        </AppShell.Main>
      </AppShell>
    </MeContext.Provider>
  );
}

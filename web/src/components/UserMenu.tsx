import { Avatar, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconLogout } from '@tabler/icons-react';
import { useLogout, useMe } from '../auth';

export function UserMenu() {
  const me = useMe();
  const logout = useLogout();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`Account: ${me.user.email}`}>
          <Avatar color="violet" radius="xl" size={34}>
            {me.user.email.slice(0, 2).toUpperCase()}
          </Avatar>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="sm" fw={600}>
            {me.user.email}
          </Text>
          <Text size="xs" c="dimmed">
            {me.user.roles.join(', ').replaceAll('_', ' ') || 'no role'}
          </Text>
        </Menu.Label>
        <Menu.Item leftSection={<IconLogout size={16} />} onClick={logout}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

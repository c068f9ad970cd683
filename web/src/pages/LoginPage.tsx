import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Logo } from '../App';
import { api, setCsrfToken } from '../api/client';

export function LoginPage() {
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const r = await api.POST('/api/v1/auth/login', { body: { email, password } });
    setBusy(false);
    if (r.error || !r.data) {
      const retry = r.response.headers.get('Retry-After');
      setError(r.response.status === 429 ? `Too many attempts; try again in ${retry ?? 'a few'} seconds.` : 'Wrong email or password.');
      return;
    }
    setCsrfToken(r.data.csrf_token);
    await qc.invalidateQueries({ queryKey: ['me'] });
  }

  return (
    <Center h="100vh" bg="gray.0">
      <main>
        <Paper withBorder shadow="sm" p="xl" radius="lg" w={380}>
          <form onSubmit={submit}>
            <Stack>
              <Logo />
              <div>
                <Title order={1} size="h3">
                  Sign in
                </Title>
                <Text size="sm" c="dimmed">
                  Build audiences on the data in your warehouse.
                </Text>
              </div>
              {error && (
                <Alert color="red" icon={<IconAlertCircle size={18} />} role="alert">
                  {error}
                </Alert>
              )}
              <TextInput label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} data-autofocus />
              <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
              <Button type="submit" loading={busy} fullWidth>
                Sign in
              </Button>
            </Stack>
          </form>
        </Paper>
      </main>
    </Center>
  );
}

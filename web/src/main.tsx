import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/charts/styles.css';
import './app.css';
import { Badge, MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App';
import { ApiError } from './api/client';

const theme = createTheme({
  primaryColor: 'violet',
  primaryShade: 7,
  fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  defaultRadius: 'md',
  respectReducedMotion: true,
  headings: { fontWeight: '650' },
  // A badge is a word or two of status: never cut to an ellipsis (app.css, .badge-whole).
  components: { Badge: Badge.extend({ classNames: { root: 'badge-whole' } }) },
});

// WCAG AA contrast (4.5:1) on light backgrounds: secondary text, placeholders, every color's text and filled
// background one or two shades darker than Mantine's defaults.
const COLORS = ['red', 'pink', 'grape', 'violet', 'indigo', 'blue', 'cyan', 'teal', 'green', 'lime', 'yellow', 'orange', 'gray'];
const resolver: CSSVariablesResolver = () => {
  const light: Record<string, string> = {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-6)',
  };
  for (const c of COLORS) {
    // Orange, yellow and lime stay under 4.5:1 even at shade 9: their text is near-black.
    light[`--mantine-color-${c}-light-color`] = ['orange', 'yellow', 'lime'].includes(c) ? 'var(--mantine-color-dark-7)' : `var(--mantine-color-${c}-9)`;
    light[`--mantine-color-${c}-text`] = `var(--mantine-color-${c}-9)`;
    light[`--mantine-color-${c}-light`] = `var(--mantine-color-${c}-0)`;
    light[`--mantine-color-${c}-outline`] = `var(--mantine-color-${c}-8)`;
    if (c !== 'violet') {
      light[`--mantine-color-${c}-filled`] = `var(--mantine-color-${c}-9)`;
      light[`--mantine-color-${c}-filled-hover`] = `var(--mantine-color-${c}-8)`;
    }
  }
  return { variables: {}, light, dark: {} };
};

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={resolver}>
      <Notifications position="top-right" autoClose={3000} />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);

// Display helpers shared by the screens.
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function fmtNum(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

type Schedule = { type: 'manual' } | { type: 'interval'; every: string } | { type: 'days'; days: string[]; time: string; timezone: string };

export function fmtSchedule(s: Schedule | undefined): string {
  if (!s) return '—';
  if (s.type === 'manual') return 'Manual';
  if (s.type === 'interval') return `Every ${s.every}`;
  return `${s.days.map((d) => d[0].toUpperCase() + d.slice(1)).join(', ')} at ${s.time} (${s.timezone})`;
}

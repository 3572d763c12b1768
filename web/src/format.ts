// Numbers and times as the console shows them.

const integer = new Intl.NumberFormat('en-US');

export function count(n: number | undefined): string {
  return integer.format(n ?? 0);
}

export function rate(perSecond: number | undefined): string {
  const v = perSecond ?? 0;
  if (v === 0) return '0';
  if (v < 10) return v.toFixed(1);
  return integer.format(Math.round(v));
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

// Local time, to the millisecond: operators match it against other logs.
export function time(ms: number | undefined): string {
  if (!ms) return '—';
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

export function ago(ms: number | undefined, now = Date.now()): string {
  if (!ms) return '—';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

// A datetime-local input's value ("2026-12-01T10:00") as epoch ms; "" when empty.
export function localInputToMs(value: string): string {
  if (!value) return '';
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? String(ms) : '';
}

export function msToLocalInput(ms: string | null): string {
  if (!ms || !/^\d+$/.test(ms)) return '';
  const d = new Date(Number(ms));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

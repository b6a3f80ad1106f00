// One way to show times and sizes on every page: UTC, unambiguous for workspaces across time zones.
export function dateTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function bytes(value) {
  if (value === null || value === undefined) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let n = Number(value), unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit++; }
  return unit === 0 ? `${n} ${n === 1 ? 'byte' : 'bytes'}` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`;
}

export function destination(d) {
  if (!d) return '—';
  if (d.kind === 'folder') return `Folder ${d.folder}`;
  if (d.kind === 'database') return 'Database';
  return 'Inbox';
}

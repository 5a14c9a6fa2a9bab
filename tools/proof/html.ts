// Escaping and number formatting for the HTML report. Every string that comes from the report
// (replica names, check details, anomaly text) passes through esc(): replica names are chosen
// by whoever runs the cluster, and the page must stay inert whatever they contain.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return integer.format(n);
}

/** Latency in ms: one decimal below 10 ms, where the difference still matters. */
export function fmtMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : integer.format(Math.round(ms))} ms`;
}

export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

// k6's global console (https://grafana.com/docs/k6/latest/javascript-api/#console): @types/k6
// leaves it to lib "DOM", which this folder does not load (k6 has no DOM; tsconfig.json).
interface Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
}
declare const console: Console;

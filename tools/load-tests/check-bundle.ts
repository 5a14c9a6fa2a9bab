// Checks a bundled k6 script (out/load-tests/*.js) for anything k6 cannot load, with a real
// parser (ESLint's espree and scope analysis, already a dependency): k6 parses the file itself
// with Sobek's parser, which has no Node APIs and not every recent syntax feature.
//   - syntax within ES2020 (the bundler's target): no top-level await, no logical assignment,
//     no class fields, plus what Sobek lacks inside ES2020 (k6's tc39 block list:
//     https://github.com/grafana/k6/blob/master/internal/js/tc39/tc39_test.go): async generators and
//     for await, named capture groups, Unicode property escapes;
//   - imports: only the k6 modules below, never dynamic import();
//   - free variables: only ECMAScript's globals and the k6 globals below, so `process`, `Buffer`,
//     `require`, `__dirname`, `global`, `setImmediate` (and any other host global) are refused.
import { readFile } from 'node:fs/promises';
import { Linter } from 'eslint';

/** The ECMAScript version bundles are written in (tools/load-tests/bundle.ts targets it). */
export const ECMA_VERSION = 2020;

/**
 * The k6 modules a bundle may import: what the scripts use and what the Sobek harness
 * (tools/go/k6-harness) provides, so every bundle that passes here also runs in our tests. k6 has
 * more (k6/data, k6/crypto, k6/encoding, ...): widen this list and the harness together.
 */
export const K6_MODULES = ['k6', 'k6/http', 'k6/metrics', 'k6/execution'] as const;

/** k6's own globals the scripts may use (k6 also has open() and timers; the scripts need neither). */
export const K6_GLOBALS = ['__ENV', '__VU', '__ITER', 'console'] as const;

export interface BundleProblem {
  line: number;
  column: number;
  message: string;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const allowedSource = `/^(${K6_MODULES.map(escapeRegExp).join('|')})$/`;
const notK6 = `allowed: ${K6_MODULES.join(', ')}`;

const RESTRICTED = [
  { selector: `ImportDeclaration[source.value!=${allowedSource}]`, message: `imports a module k6 cannot load here (${notK6})` },
  { selector: `ExportNamedDeclaration[source][source.value!=${allowedSource}]`, message: `re-exports from a module k6 cannot load here (${notK6})` },
  { selector: `ExportAllDeclaration[source.value!=${allowedSource}]`, message: `re-exports from a module k6 cannot load here (${notK6})` },
  { selector: 'ImportExpression', message: 'dynamic import() (k6 resolves every module before the test starts)' },
  { selector: ':function[async=true][generator=true]', message: 'an async generator (Sobek has no async iteration)' },
  { selector: 'ForOfStatement[await=true]', message: 'for await (Sobek has no async iteration)' },
  // (?<name>...) and \k<name>, but not the look-behinds (?<= and (?<!
  { selector: 'Literal[regex.pattern=/\\(\\?<[^=!]|\\\\k</]', message: 'a regular expression with named groups (Sobek does not support them)' },
  { selector: 'Literal[regex.flags=/u/][regex.pattern=/\\\\[pP]\\{/]', message: 'a regular expression with Unicode property escapes (Sobek does not support them)' },
];

/** Problems that would keep k6 from loading this bundle (empty: it loads). */
export function checkBundleSource(code: string): BundleProblem[] {
  const linter = new Linter();
  const messages = linter.verify(
    code,
    [
      {
        languageOptions: {
          ecmaVersion: ECMA_VERSION,
          sourceType: 'module',
          // ECMAScript's globals of that version come with ecmaVersion; only k6's are added.
          globals: Object.fromEntries(K6_GLOBALS.map((name) => [name, 'readonly'])),
        },
        // `typeof process` counts too: a bundle probing for Node is a bundle that took Node code.
        rules: { 'no-undef': ['error', { typeof: true }], 'no-restricted-syntax': ['error', ...RESTRICTED] },
      },
    ],
    // a name inside the linter's working directory, so the configuration above applies
    'bundle.js',
  );
  return messages.map((m) => ({
    line: m.line,
    column: m.column,
    message: m.fatal
      ? `not ES${ECMA_VERSION} as k6's JavaScript engine (Sobek) parses it: ${m.message.replace(/^Parsing error: /, '')}`
      : m.ruleId === 'no-undef'
        ? `${m.message.replace(/\.$/, '')} in k6 (a Node or browser global?)`
        : m.message,
  }));
}

export async function checkBundle(path: string): Promise<BundleProblem[]> {
  return checkBundleSource(await readFile(path, 'utf8'));
}

/** One line per problem, `file:line:column: message`. */
export function formatProblems(path: string, problems: BundleProblem[]): string {
  return problems.map((p) => `${path}:${p.line}:${p.column}: ${p.message}`).join('\n');
}

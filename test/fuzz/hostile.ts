// Generators of hostile input, driven by a seeded PRNG so every failure reproduces from its seed.

/** mulberry32: tiny, fast, good enough to drive a fuzzer. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof prng>;

const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE runs; --",
  '"; DELETE FROM projects; --',
  "' UNION SELECT token_hash FROM api_tokens --",
  "1; UPDATE runs SET name='pwned'",
  "') OR 1=1 --",
  '$1',
  '::text',
  "\\'",
  "''",
  '/* comment */',
  "E'\\x41'",
  'pg_sleep(5)',
  "'||(SELECT current_user)||'",
  '%',
  '_',
  '\\',
  '0x27',
];
const UNICODE = ['\u0000', '\u202e', '\ud83d\ude00', '\ufeff', 'é', '\u0301', 'ß', '\u2028', '\ud800', '𝔘𝔫𝔦', '中文', '\u001b[31m', '\t\n\r'];
const NUMBERS = [
  '1e400',
  '-1e400',
  '9007199254740993',
  '-0',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '.5e',
  '00001',
  '1e-400',
  '99999999999999999999999999',
];
const FIELDS = [
  'metrics.auc',
  'params.lr',
  'tags.team',
  'attributes.status',
  'attributes.user',
  'attributes.name',
  'attributes.started_at',
  'metrics.`a b`',
  'params."x"',
  'attributes.nope',
  'foo.bar',
  'metrics.',
  '.auc',
  'attributes',
];
const OPS = ['=', '!=', '<', '<=', '>', '>=', '<>', 'LIKE', 'ILIKE', 'IN', 'NOT IN', 'IS', 'IS NOT', '==', '=>', '~'];
const WORDS = ['and', 'or', 'not', '(', ')', ',', 'NULL', 'TRUE', "'x'", '"y"', "'RUNNING'", "'%a%'"];

export function hostileString(r: Rng, maxLen = 60): string {
  const parts: string[] = [];
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i += 1) {
    const kind = r.int(6);
    if (kind === 0) parts.push(r.pick(SQL));
    else if (kind === 1) parts.push(r.pick(UNICODE));
    else if (kind === 2) parts.push(r.pick(NUMBERS));
    else if (kind === 3) parts.push(String.fromCharCode(...Array.from({ length: 1 + r.int(8) }, () => r.int(0x7f))));
    else if (kind === 4) parts.push(r.pick(FIELDS));
    else parts.push('x'.repeat(r.chance(0.05) ? 300 : 1 + r.int(10)));
  }
  const s = parts.join(r.chance(0.5) ? '' : ' ');
  return s.length > maxLen && r.chance(0.7) ? s.slice(0, maxLen) : s;
}

export function hostileFilter(r: Rng): string {
  const mode = r.int(10);
  if (mode === 0) return `${'('.repeat(1 + r.int(300))}metrics.auc > 1${')'.repeat(r.int(300))}`;
  if (mode === 1) return Array.from({ length: 1 + r.int(60) }, () => `metrics.auc > ${r.pick(NUMBERS)}`).join(r.pick([' and ', ' or ']));
  if (mode === 2) return `params.lr IN (${Array.from({ length: r.int(300) }, () => `'${r.int(10)}'`).join(',')})`;
  if (mode === 3) return hostileString(r, 200);
  if (mode === 4) return `${'not '.repeat(r.int(300))}tags.team = 'a'`;
  const clauses = Array.from({ length: 1 + r.int(5) }, () => {
    const value = r.pick([`'${hostileString(r, 20)}'`, `"${hostileString(r, 20)}"`, r.pick(NUMBERS), r.pick(WORDS), `(${r.pick(NUMBERS)}, '${r.pick(SQL)}')`]);
    return `${r.pick(FIELDS)} ${r.pick(OPS)} ${value}`;
  });
  return clauses.join(` ${r.pick(['and', 'or', 'AND', 'Or', '&&', ''])} `);
}

export function hostileNumber(r: Rng): unknown {
  return r.pick<unknown>([2 ** 53, -(2 ** 53) - 2, 1e308, -1e308, 0.5, -1, 0, 2 ** 31, 'NaN', 'Infinity', '12', null, true, [], {}, '9'.repeat(400), 1e21]);
}

/** Deeply nested selections, alias bombs and fragment fan-outs. */
export function hostileDocument(r: Rng): string {
  const mode = r.int(7);
  if (mode === 0) return `{ ${Array.from({ length: 10 + r.int(300) }, (_, i) => `a${i}: __typename`).join(' ')} }`;
  if (mode === 1) return `{ run(id: "x") { ${'parent { '.repeat(5 + r.int(100))} id ${'} '.repeat(5 + r.int(100))} } }`;
  if (mode === 2) {
    const frag = `fragment F on Query { ${Array.from({ length: 1 + r.int(20) }, (_, i) => `f${i}: __typename`).join(' ')} }`;
    return `query { ${Array.from({ length: 1 + r.int(50) }, () => '... on Query { ...F }').join(' ')} } ${frag}`;
  }
  if (mode === 3) return `query Q($x: ${r.pick(['Int', 'String!', '[ID!]!', 'Foo', 'LogBatchInput'])}) { __typename }`;
  if (mode === 4) return hostileString(r, 400);
  if (mode === 5)
    return `{ ${'projects { edges { node { runs { edges { node { children { edges { node { '.repeat(1 + r.int(4))} id ${'} } } '.repeat(3 * (1 + r.int(4)))} }`;
  return `fragment A on Query { ...B } fragment B on Query { ...A } { ...A }`;
}

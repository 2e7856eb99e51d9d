import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { compileFilter, fieldSortExpressions, fieldValueExpression, SqlParams } from '../../src/modules/runs/filter/compile.js';
import { type FieldRef, type FilterExpr, type Literal, parseFieldRef, parseFilter } from '../../src/modules/runs/filter/parse.js';

const parse = (text: string): FilterExpr => {
  const expr = parseFilter(text);
  if (!expr) throw new Error('expected a filter');
  return expr;
};

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const filterError = (text: string) => errorOf(() => parseFilter(text));

const num = (value: number): Literal => ({ kind: 'number', value });
const str = (value: string): Literal => ({ kind: 'string', value });
const metric = (name: string): FieldRef => ({ kind: 'metric', name });
const param = (name: string): FieldRef => ({ kind: 'param', name });
const tag = (name: string): FieldRef => ({ kind: 'tag', name });
const attr = (name: string): FieldRef => ({ kind: 'attribute', name });
const gt = (name: string, value: number): FilterExpr => ({ type: 'compare', field: metric(name), op: '>', value: num(value) });

describe('parseFilter: structure', () => {
  it('returns null for empty or blank input', () => {
    expect(parseFilter('')).toBeNull();
    expect(parseFilter('   \n\t ')).toBeNull();
  });

  it('parses each comparison operator, with <> as !=', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>='] as const) {
      expect(parse(`metrics.a ${op} 1`)).toEqual({ type: 'compare', field: metric('a'), op, value: num(1) });
    }
    expect(parse('metrics.a <> 1')).toMatchObject({ op: '!=' });
  });

  it('binds AND tighter than OR', () => {
    expect(parse('metrics.a > 1 or metrics.b > 2 and metrics.c > 3')).toEqual({
      type: 'or',
      items: [gt('a', 1), { type: 'and', items: [gt('b', 2), gt('c', 3)] }],
    });
    expect(parse('metrics.a > 1 and metrics.b > 2 or metrics.c > 3')).toEqual({
      type: 'or',
      items: [{ type: 'and', items: [gt('a', 1), gt('b', 2)] }, gt('c', 3)],
    });
  });

  it('binds NOT tighter than AND, and NOT can repeat', () => {
    expect(parse('not metrics.a > 1 and metrics.b > 2')).toEqual({
      type: 'and',
      items: [{ type: 'not', item: gt('a', 1) }, gt('b', 2)],
    });
    expect(parse('NOT NOT metrics.a > 1')).toEqual({ type: 'not', item: { type: 'not', item: gt('a', 1) } });
    expect(parse('not (metrics.a > 1 or metrics.b > 2)')).toEqual({
      type: 'not',
      item: { type: 'or', items: [gt('a', 1), gt('b', 2)] },
    });
  });

  it('lets parentheses override precedence, including nested ones', () => {
    expect(parse('(metrics.a > 1 or metrics.b > 2) and metrics.c > 3')).toEqual({
      type: 'and',
      items: [{ type: 'or', items: [gt('a', 1), gt('b', 2)] }, gt('c', 3)],
    });
    expect(parse('((metrics.a > 1))')).toEqual(gt('a', 1));
    expect(parse('metrics.a > 1 and (metrics.b > 2 or (metrics.c > 3 and not (metrics.d > 4)))')).toEqual({
      type: 'and',
      items: [gt('a', 1), { type: 'or', items: [gt('b', 2), { type: 'and', items: [gt('c', 3), { type: 'not', item: gt('d', 4) }] }] }],
    });
  });

  it('flattens chains of the same connective', () => {
    expect(parse('metrics.a > 1 and metrics.b > 2 and (metrics.c > 3 and metrics.d > 4)')).toEqual({
      type: 'and',
      items: [gt('a', 1), gt('b', 2), gt('c', 3), gt('d', 4)],
    });
  });

  it('reads keywords in any case', () => {
    expect(parse('metrics.a > 1 AnD NoT metrics.b > 2 oR tags.x iS nOt NuLl')).toEqual({
      type: 'or',
      items: [
        { type: 'and', items: [gt('a', 1), { type: 'not', item: gt('b', 2) }] },
        { type: 'null', field: tag('x'), negated: true },
      ],
    });
    expect(parse('params.x NoT In (1)')).toMatchObject({ type: 'in', negated: true });
    expect(parse("params.x ILike 'a%'")).toMatchObject({ type: 'like', caseInsensitive: true });
  });

  it('needs no spaces around operators and parentheses', () => {
    expect(parse('(metrics.a>=1)and(metrics.b<>-2)')).toEqual({
      type: 'and',
      items: [
        { type: 'compare', field: metric('a'), op: '>=', value: num(1) },
        { type: 'compare', field: metric('b'), op: '!=', value: num(-2) },
      ],
    });
    expect(parse("tags.x='y'")).toEqual({ type: 'compare', field: tag('x'), op: '=', value: str('y') });
  });
});

describe('parseFilter: predicates', () => {
  it('parses IN and NOT IN with mixed literals', () => {
    expect(parse('params.opt in (\'adam\', "sgd", 3, -1.5e2)')).toEqual({
      type: 'in',
      field: param('opt'),
      negated: false,
      values: [str('adam'), str('sgd'), num(3), num(-150)],
    });
    expect(parse('metrics.a not in (1)')).toEqual({ type: 'in', field: metric('a'), negated: true, values: [num(1)] });
  });

  it('parses LIKE, ILIKE and their negations', () => {
    expect(parse("params.opt like 'ad%'")).toEqual({
      type: 'like',
      field: param('opt'),
      negated: false,
      caseInsensitive: false,
      pattern: 'ad%',
    });
    expect(parse("tags.env not ilike '%PROD%'")).toMatchObject({ negated: true, caseInsensitive: true, pattern: '%PROD%' });
    expect(parse("attributes.name LIKE 'run-_'")).toMatchObject({ field: attr('name') });
    // Status patterns are not validated against the enum.
    expect(parse("attributes.status like 'f%'")).toMatchObject({ field: attr('status'), pattern: 'f%' });
  });

  it('parses IS NULL and IS NOT NULL', () => {
    expect(parse('metrics.loss is null')).toEqual({ type: 'null', field: metric('loss'), negated: false });
    expect(parse('attributes.ended_at IS NOT NULL')).toEqual({ type: 'null', field: attr('ended_at'), negated: true });
  });
});

describe('parseFilter: fields and names', () => {
  it('accepts every prefix spelling', () => {
    const cases: [string, FieldRef['kind']][] = [
      ['metrics', 'metric'],
      ['metric', 'metric'],
      ['params', 'param'],
      ['param', 'param'],
      ['tags', 'tag'],
      ['tag', 'tag'],
    ];
    for (const [prefix, kind] of cases) expect(parseFieldRef(`${prefix}.x`)).toEqual({ kind, name: 'x' });
    for (const prefix of ['attributes', 'attribute', 'attr', 'run']) expect(parseFieldRef(`${prefix}.name`)).toEqual(attr('name'));
  });

  it('keeps dots, dashes and slashes in bare names', () => {
    expect(parse('metrics.val.auc > 0.5')).toMatchObject({ field: metric('val.auc') });
    expect(parse("params.optim/lr-decay_2='x'")).toMatchObject({ field: param('optim/lr-decay_2') });
  });

  it('reads backquoted and double-quoted names', () => {
    expect(parse('metrics.`val auc (macro)` >= 0.5')).toMatchObject({ field: metric('val auc (macro)'), op: '>=' });
    expect(parse('tags."my tag" = "v"')).toEqual({ type: 'compare', field: tag('my tag'), op: '=', value: str('v') });
    expect(parse('params.`a``b` = 1')).toMatchObject({ field: param('a`b') });
    expect(parse('params."say \\"hi\\"" = 1')).toMatchObject({ field: param('say "hi"') });
  });

  it('normalises attribute names and aliases', () => {
    const aliases: Record<string, string> = {
      run_id: 'id',
      id: 'id',
      run_name: 'name',
      name: 'name',
      status: 'status',
      user: 'user',
      user_id: 'user',
      start_time: 'started_at',
      started_at: 'started_at',
      end_time: 'ended_at',
      ended_at: 'ended_at',
      duration: 'duration',
      group: 'group',
      run_group: 'group',
      notes: 'notes',
      parent_id: 'parent_id',
      Start_Time: 'started_at',
    };
    for (const [alias, canonical] of Object.entries(aliases)) expect(parseFieldRef(`attributes.${alias}`)).toEqual(attr(canonical));
  });

  it('keeps metric, param and tag names case-sensitive', () => {
    expect(parseFieldRef('metrics.Val_AUC')).toEqual(metric('Val_AUC'));
  });
});

describe('parseFilter: literals', () => {
  it('reads numbers with signs, decimals and exponents', () => {
    const cases: [string, number][] = [
      ['1', 1],
      ['-0.5', -0.5],
      ['.5', 0.5],
      ['+2', 2],
      ['1e-3', 0.001],
      ['1E+3', 1000],
      ['-2.5e2', -250],
      ['3.', 3],
    ];
    for (const [text, value] of cases) expect(parse(`metrics.x = ${text}`)).toMatchObject({ value: num(value) });
  });

  it('reads NaN and the infinities where a value is expected', () => {
    expect(parse('metrics.x = NaN')).toMatchObject({ value: { kind: 'number', value: NaN } });
    expect(parse('metrics.x < Infinity')).toMatchObject({ value: num(Infinity) });
    expect(parse('metrics.x > -infinity')).toMatchObject({ value: num(-Infinity) });
    expect(parse('metrics.x in (nan, 1)')).toMatchObject({ values: [num(NaN), num(1)] });
  });

  it('reads strings with both quote styles, escapes and doubled quotes', () => {
    const cases: [string, string][] = [
      ["'plain'", 'plain'],
      ['"double"', 'double'],
      ["'it''s'", "it's"],
      ['"say ""hi"""', 'say "hi"'],
      ["'it\\'s'", "it's"],
      ['"a \\"b\\""', 'a "b"'],
      ["'back\\\\slash'", 'back\\slash'],
      ['\'mixed "quotes"\'', 'mixed "quotes"'],
      ["''", ''],
      // Unknown escapes stay verbatim so LIKE can escape its wildcards.
      ["'50\\%'", '50\\%'],
    ];
    for (const [text, value] of cases) expect(parse(`tags.x = ${text}`)).toMatchObject({ value: str(value) });
  });
});

describe('parseFilter: type rules', () => {
  it('upper-cases valid statuses', () => {
    expect(parse("attributes.status = 'finished'")).toMatchObject({ value: str('FINISHED') });
    expect(parse("attributes.status in ('running', 'Killed')")).toMatchObject({ values: [str('RUNNING'), str('KILLED')] });
  });

  it('accepts epoch milliseconds and ISO-8601 for timestamps', () => {
    expect(parse('attributes.start_time > 1704067200000')).toMatchObject({ value: num(1704067200000) });
    for (const iso of ['2024-01-01', '2024-01-01T10:00:00Z', '2024-01-01 10:00', '2024-01-01T10:00:00.123+05:30', '2024-02-29T23:59:59-0800']) {
      expect(parse(`attributes.ended_at <= '${iso}'`)).toMatchObject({ value: str(iso) });
    }
  });

  it('accepts quoted ids but only for equality and IN', () => {
    expect(parse("attributes.run_id = 'abc'")).toMatchObject({ field: attr('id'), value: str('abc') });
    expect(parse("attributes.id in (1, 'x')")).toMatchObject({ values: [num(1), str('x')] });
    expect(parse('attributes.id >= 10')).toMatchObject({ op: '>=', value: num(10) });
  });
});

describe('parseFilter: errors', () => {
  const cases: [string, string, number][] = [
    ['metrics.x xyz 1', 'unexpected token "xyz" at column 11: expected a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, ILIKE, IS)', 11],
    ["params.model = 'abc", 'unterminated string starting at column 16', 16],
    ["params.model = 'abc\\'", 'unterminated string starting at column 16', 16],
    ['metrics.`val auc > 1', 'unterminated quoted name starting at column 9', 9],
    ['foo.bar = 1', 'unknown field prefix "foo" at column 1: use metrics., params., tags. or attributes.', 1],
    ['(metrics.a > 1', 'unexpected end of filter: expected ")"', 15],
    ['metrics.a > 1 and (metrics.b > 1 metrics.c > 1)', 'unexpected token "metrics.c" at column 34: expected AND, OR or ")"', 34],
    ['metrics.a > 1)', 'unexpected token ")" at column 14: expected AND, OR or the end of the filter', 14],
    ['metrics.a > 1 metrics.b > 2', 'unexpected token "metrics.b" at column 15: expected AND, OR or the end of the filter', 15],
    ["metrics.acc = 'high'", 'metrics.acc compares numbers; got a string at column 15', 15],
    ["metrics.acc in (1, 'x')", 'metrics.acc compares numbers; got a string at column 20', 20],
    ["metrics.acc like 'x%'", 'LIKE at column 13 needs a text field', 13],
    ["attributes.started_at ilike 'x%'", 'ILIKE at column 23 needs a text field', 23],
    ["attributes.id like '1%'", 'LIKE at column 15 needs a text field', 15],
    ["attributes.status = 'done'", 'invalid status "\'done\'" at column 21: use one of RUNNING, FINISHED, FAILED, KILLED', 21],
    ["attributes.status < 'RUNNING'", 'attributes.status supports =, !=, IN, LIKE, ILIKE and IS; got "<" at column 19', 19],
    ["attributes.started_at > 'yesterday'", 'invalid timestamp "\'yesterday\'" at column 25', 25],
    ["attributes.started_at > '2024-02-30'", 'invalid timestamp', 25],
    ["attributes.ended_at < '2024-01-01T25:00'", 'invalid timestamp', 23],
    ['attributes.started_at > 1e20', 'invalid timestamp "1e20" at column 25', 25],
    ['attributes.started_at > NaN', 'attributes.started_at needs a finite number; got NaN at column 25', 25],
    ["attributes.duration > '1h'", 'attributes.duration compares numbers; got a string at column 23', 23],
    ["attributes.parent_id = 'abc'", 'attributes.parent_id compares numbers; got a string at column 24', 24],
    ["attributes.id > 'abc'", 'attributes.id needs a number for ">"; a quoted id only works with =, != and IN at column 17', 17],
    ['attributes.name = 5', 'attributes.name compares strings; got a number at column 19', 19],
    ['attributes.foo = 1', 'unknown attribute "foo" at column 1: use one of id (run_id), name (run_name), status', 1],
    [
      "status = 'FINISHED'",
      'unexpected token "status" at column 1: expected a field like metrics.<name>, params.<name>, tags.<name> or attributes.<name> (did you mean attributes.status?)',
      1,
    ],
    ['metrics. = 1', 'missing name after "metrics." at column 1', 1],
    ['metrics.`` = 1', 'missing name after "metrics." at column 1', 1],
    ['`metrics.x` = 1', 'unexpected quoted name at column 1', 1],
    ['metrics.x = ', 'unexpected end of filter: expected a number or a quoted string', 13],
    ['metrics.x', 'unexpected end of filter: expected a comparison operator', 10],
    ['params.x = null', 'unexpected token "null" at column 12: expected a number or a quoted string (use IS NULL', 12],
    ['metrics.x == 1', 'unexpected token "=" at column 12: expected a number or a quoted string', 12],
    ['metrics.x = 1.2.3', 'unexpected token "1.2.3" at column 13', 13],
    ['metrics.x = abc', 'unexpected token "abc" at column 13', 13],
    ['metrics.x ! 1', 'unexpected character "!" at column 11', 11],
    ['metrics.x > 1 && metrics.y > 1', 'unexpected character "&" at column 15', 15],
    ['metrics.x in 1', 'unexpected token "1" at column 14: expected "(" to start the IN list', 14],
    ['metrics.x in ()', 'empty IN list at column 14: give at least one value', 14],
    ['metrics.x in (1,)', 'unexpected token ")" at column 17: expected a number or a quoted string', 17],
    ['metrics.x in (1 2)', 'unexpected token "2" at column 17: expected "," or ")" in the IN list', 17],
    ['metrics.x in (1', 'unexpected end of filter: expected "," or ")" in the IN list', 16],
    ['metrics.x not = 1', 'unexpected token "=" at column 15: expected IN, LIKE or ILIKE after NOT', 15],
    ['metrics.x is 1', 'unexpected token "1" at column 14: expected NULL or NOT NULL', 14],
    ['metrics.x is not nothing', 'unexpected token "nothing" at column 18: expected NULL', 18],
    ['params.x like 5', 'unexpected token "5" at column 15: expected a quoted LIKE pattern', 15],
    ['and metrics.x > 1', 'unexpected token "and" at column 1: expected a field', 1],
    ['metrics.x > 1 and', 'unexpected end of filter: expected a field', 18],
    ['()', 'unexpected token ")" at column 2: expected a field', 2],
    ['not', 'unexpected end of filter: expected a field', 4],
  ];

  it.each(cases)('%s', (text, message, column) => {
    const error = filterError(text);
    expect(error.message).toContain(`filter: ${message}`);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.field).toBe('filter');
    expect(error.details).toMatchObject({ field: 'filter', column });
    expect(error.message.includes(`column ${column}`) || error.message.includes('unexpected end')).toBe(true);
  });

  it('reports the offending token in details, and null at the end of input', () => {
    expect(filterError('metrics.x xyz 1').details).toEqual({ field: 'filter', column: 11, token: 'xyz' });
    expect(filterError('(metrics.x > 1').details).toEqual({ field: 'filter', column: 15, token: null });
  });

  it('shortens long tokens in messages', () => {
    const long = 'x'.repeat(500);
    const error = filterError(`metrics.a ${long} 1`);
    expect(error.message).toContain(`"${'x'.repeat(37)}..."`);
    expect(error.details.token).toBe(long);
  });
});

describe('parseFilter: limits', () => {
  const predicates = (n: number) => Array.from({ length: n }, (_, i) => `metrics.m${i} > ${i}`).join(' and ');

  it('caps the input at 10,000 characters', () => {
    const padded = (n: number) => `metrics.x > 1${' '.repeat(n - 13)}`;
    expect(parse(padded(10_000))).toEqual(gt('x', 1));
    const error = filterError(padded(10_001));
    expect(error.message).toBe('filter: is too long (10001 characters; the limit is 10000)');
    expect(error.details).toMatchObject({ column: 10_001 });
  });

  it('caps nesting at 50 levels of parentheses or NOT', () => {
    const nested = (n: number) => `${'('.repeat(n)}metrics.x > 1${')'.repeat(n)}`;
    expect(parse(nested(50))).toEqual(gt('x', 1));
    const error = filterError(nested(51));
    expect(error.message).toBe('filter: nests deeper than 50 levels at column 51');
    expect(parse(`${'not '.repeat(50)}metrics.x > 1`)).toBeTruthy();
    expect(filterError(`${'not '.repeat(51)}metrics.x > 1`).message).toContain('nests deeper than 50 levels at column 201');
    expect(filterError(`${'not ('.repeat(26)}metrics.x > 1${')'.repeat(26)}`).message).toContain('nests deeper than 50 levels');
  });

  it('caps a filter at 200 conditions', () => {
    expect(parse(predicates(200))).toMatchObject({ type: 'and' });
    const text = predicates(201);
    const error = filterError(text);
    expect(error.message).toBe(`filter: has more than 200 conditions; condition 201 starts at column ${text.indexOf('metrics.m200') + 1}`);
  });

  it('caps an IN list at 1,000 values', () => {
    const list = (n: number) => `params.x in (${Array.from({ length: n }, (_, i) => i).join(',')})`;
    expect(parse(list(1000))).toMatchObject({ values: expect.arrayContaining([num(999)]) });
    const text = list(1001);
    expect(filterError(text).message).toBe(`filter: IN list has more than 1000 values; value 1001 is at column ${text.lastIndexOf('1000') + 1}`);
  });
});

describe('parseFieldRef', () => {
  it('parses one field and trims around it', () => {
    expect(parseFieldRef('metrics.val_auc')).toEqual(metric('val_auc'));
    expect(parseFieldRef('  params.`learning rate` ')).toEqual(param('learning rate'));
    expect(parseFieldRef('attr.start_time')).toEqual(attr('started_at'));
  });

  it('names the given field in errors, orderBy by default', () => {
    expect(errorOf(() => parseFieldRef('metrics.x desc')).message).toBe('orderBy: unexpected token "desc" at column 11: expected nothing after the field name');
    const error = errorOf(() => parseFieldRef('bogus.x', 'groupBy'));
    expect(error.message).toBe('groupBy: unknown field prefix "bogus" at column 1: use metrics., params., tags. or attributes.');
    expect(error.details).toMatchObject({ field: 'groupBy', column: 1, token: 'bogus.x' });
    expect(errorOf(() => parseFieldRef('', 'orderBy[0].field')).message).toBe(
      'orderBy[0].field: unexpected end of field name: expected a field like metrics.<name>, params.<name>, tags.<name> or attributes.<name>',
    );
    expect(errorOf(() => parseFieldRef('attributes.colour')).message).toContain('unknown attribute "colour"');
  });
});

describe('compileFilter', () => {
  const compile = (text: string, preBound: unknown[] = []) => {
    const params = new SqlParams([...preBound]);
    return { sql: compileFilter(parse(text), params), values: params.values };
  };
  const METRIC_FROM = 'SELECT 1 FROM metric_summaries ms JOIN metric_keys mk ON mk.id = ms.key_id WHERE ms.run_id = r.id';

  it('numbers placeholders after pre-bound values and binds into the given array', () => {
    const values: unknown[] = [7];
    const params = new SqlParams(values);
    expect(params.add('a')).toBe('$2');
    expect(params.add(3)).toBe('$3');
    expect(values).toEqual([7, 'a', 3]);
    expect(new SqlParams().add(null)).toBe('$1');
  });

  it('compiles a metric comparison to an EXISTS over the latest value', () => {
    expect(compile('metrics.acc > 0.9', [42])).toEqual({
      sql: `EXISTS (${METRIC_FROM} AND mk.name = $2 AND ms.last_value > $3::float8 AND ms.last_value <> 'NaN'::float8)`,
      values: [42, 'acc', 0.9],
    });
    expect(compile('metrics.loss != NaN').values).toEqual(['loss', NaN]);
    expect(compile('metrics.loss != NaN').sql).toContain('ms.last_value <> $2::float8');
  });

  it('negates with plain NOT, so runs without the metric match `not` (documented semantics)', () => {
    expect(compile('not metrics.acc > 0.9').sql).toBe(
      `(NOT EXISTS (${METRIC_FROM} AND mk.name = $1 AND ms.last_value > $2::float8 AND ms.last_value <> 'NaN'::float8))`,
    );
    expect(compile('metrics.acc is null').sql).toBe(`NOT EXISTS (${METRIC_FROM} AND mk.name = $1)`);
    expect(compile('metrics.acc is not null').sql).toBe(`EXISTS (${METRIC_FROM} AND mk.name = $1)`);
  });

  it('keeps precedence with explicit parentheses', () => {
    expect(compile("attributes.name = 'a' or attributes.name = 'b' and not attributes.name = 'c'")).toEqual({
      sql: '((r.name = $1::text) OR ((r.name = $2::text) AND (NOT (r.name = $3::text))))',
      values: ['a', 'b', 'c'],
    });
  });

  it('compares params and tags as text for strings and numerically for numbers', () => {
    expect(compile("params.opt = 'adam'")).toEqual({
      sql: 'EXISTS (SELECT 1 FROM params kv WHERE kv.run_id = r.id AND kv.key = $1 AND kv.value = $2::text)',
      values: ['opt', 'adam'],
    });
    const numeric = compile('tags.lr < 0.01').sql;
    expect(numeric).toMatch(
      /^EXISTS \(SELECT 1 FROM tags kv WHERE kv\.run_id = r\.id AND kv\.key = \$1 AND \(CASE WHEN .* THEN kv\.value::float8 END\) < \$2::float8\)$/,
    );
  });

  it('compiles IN lists to arrays, splitting strings from numbers', () => {
    const inList = compile("params.opt in ('adam', 3, 'sgd')");
    expect(inList.values).toEqual(['opt', ['adam', 'sgd'], [3]]);
    expect(inList.sql).toMatch(/AND \(kv\.value = ANY\(\$2::text\[\]\) OR \(CASE .* END\) = ANY\(\$3::float8\[\]\)\)\)$/);
    const notIn = compile("params.opt not in ('adam', 3)").sql;
    expect(notIn).toMatch(/AND \(kv\.value <> ALL\(\$2::text\[\]\) AND \(CASE .* END\) <> ALL\(\$3::float8\[\]\)\)\)$/);
    expect(compile('metrics.a not in (1, 2)')).toEqual({
      sql: `EXISTS (${METRIC_FROM} AND mk.name = $1 AND ms.last_value <> ALL($2::float8[]))`,
      values: ['a', [1, 2]],
    });
  });

  it('compiles LIKE and ILIKE', () => {
    expect(compile("tags.env not ilike 'prod%'").sql).toBe(
      'EXISTS (SELECT 1 FROM tags kv WHERE kv.run_id = r.id AND kv.key = $1 AND kv.value NOT ILIKE $2::text)',
    );
    expect(compile("attributes.notes like '%oom%'").sql).toBe('(r.notes LIKE $1::text AND r.notes IS NOT NULL)');
  });

  it('compiles attributes against their columns', () => {
    const cases: [string, string, unknown[]][] = [
      ["attributes.status = 'failed'", '(r.status::text = $1::text)', ['FAILED']],
      ["attributes.status in ('running')", '(r.status::text = ANY($1::text[]))', [['RUNNING']]],
      ["attributes.user != 'ann'", '(r."user" <> $1::text AND r."user" IS NOT NULL)', ['ann']],
      ["attributes.group = 'g'", '(r.run_group = $1::text AND r.run_group IS NOT NULL)', ['g']],
      ['attributes.start_time > 1704067200000', '(r.started_at > $1::timestamptz)', ['2024-01-01T00:00:00.000Z']],
      ["attributes.ended_at < '2024-01-01T05:30:00+05:30'", '(r.ended_at < $1::timestamptz AND r.ended_at IS NOT NULL)', ['2024-01-01T00:00:00.000Z']],
      ["attributes.started_at >= '2024-03-01'", '(r.started_at >= $1::timestamptz)', ['2024-03-01T00:00:00.000Z']],
      ["attributes.started_at >= '2024-03-01 10:00+02'", '(r.started_at >= $1::timestamptz)', ['2024-03-01T08:00:00.000Z']],
      ["attributes.started_at >= '2024-03-01T10:00:00.123456'", '(r.started_at >= $1::timestamptz)', ['2024-03-01T10:00:00.123Z']],
      ['attributes.duration >= 60', '(EXTRACT(EPOCH FROM (coalesce(r.ended_at, now()) - r.started_at))::float8 >= $1::float8)', [60]],
      ['attributes.run_id = 12', '(r.id = $1::int8)', [12]],
      ['attributes.id > 1.5', '(r.id > $1::float8)', [1.5]],
      ["attributes.id = 'abc'", '(r.id::text = $1::text)', ['abc']],
      ["attributes.id not in (1, 'x')", '((r.id <> ALL($1::int8[]) AND r.id::text <> ALL($2::text[])))', [[1], ['x']]],
      ['attributes.parent_id in (1, 2)', '(r.parent_id = ANY($1::int8[]) AND r.parent_id IS NOT NULL)', [[1, 2]]],
      ['attributes.parent_id is null', '(r.parent_id IS NULL)', []],
      ['attributes.user is not null', '(r."user" IS NOT NULL)', []],
    ];
    for (const [text, sql, values] of cases) expect(compile(text), text).toEqual({ sql, values });
  });

  it('uses the run alias given and rejects unsafe ones', () => {
    const params = new SqlParams();
    expect(compileFilter(parse("attributes.user = 'a' and tags.x = 'b'"), params, 'run')).toBe(
      '((run."user" = $1::text AND run."user" IS NOT NULL) AND EXISTS (SELECT 1 FROM tags kv WHERE kv.run_id = run.id AND kv.key = $2 AND kv.value = $3::text))',
    );
    for (const alias of ['r; DROP TABLE runs', 'kv', '1r', '']) {
      expect(() => compileFilter(parse('metrics.x > 1'), new SqlParams(), alias)).toThrow(/alias/);
    }
  });

  it('never splices user text into SQL', () => {
    const evil = "'; DROP TABLE runs; --";
    const quoted = `'${evil.replaceAll("'", "''")}'`;
    const filters = [
      `params.x = ${quoted}`,
      `params.x in (${quoted}, 1)`,
      `tags.\`${evil}\` is null`,
      `metrics."x\\"; DROP TABLE runs; --" > 1`,
      `attributes.name like ${quoted}`,
      `attributes.id = ${quoted}`,
      `not (tags.y = "${evil.replaceAll("'", "\\'")}" or params.\`${evil}\` = ${quoted})`,
    ];
    // The only quoted text compile.ts may emit is its own numeric-check patterns and 'NaN'.
    const allowed = new Set([...(compile('params.x = 1').sql.match(/'[^']*'/g) ?? []), "'NaN'"]);
    for (const filter of filters) {
      const { sql, values } = compile(filter);
      expect(sql, filter).not.toMatch(/DROP|;|--/);
      for (const literal of sql.match(/'[^']*'/g) ?? []) expect(allowed.has(literal), literal).toBe(true);
      expect(JSON.stringify(values), filter).toContain('DROP TABLE runs');
    }
  });

  it('binds exactly the placeholders it uses', () => {
    const { sql, values } = compile(
      "(metrics.a > 1 or params.b in ('x', 2)) and not tags.c ilike 'y%' and attributes.started_at > '2024-01-01' and attributes.id in (1, 'z')",
      ['project'],
    );
    const used = new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    expect([...used].sort((a, b) => a - b)).toEqual(Array.from({ length: values.length - 1 }, (_, i) => i + 2));
  });
});

describe('fieldSortExpressions and fieldValueExpression', () => {
  it('sorts metrics by their latest value', () => {
    const params = new SqlParams([1]);
    expect(fieldSortExpressions(metric('val auc'), params)).toEqual([
      "NULLIF((SELECT ms.last_value FROM metric_summaries ms JOIN metric_keys mk ON mk.id = ms.key_id WHERE ms.run_id = r.id AND mk.name = $2), 'NaN'::float8)",
    ]);
    expect(params.values).toEqual([1, 'val auc']);
  });

  it('sorts params and tags numerically first, then as text, with one key placeholder', () => {
    const params = new SqlParams();
    const [numeric, text] = fieldSortExpressions(param('lr'), params);
    expect(numeric).toMatch(/^\(SELECT \(CASE WHEN .* THEN kv\.value::float8 END\) FROM params kv WHERE kv\.run_id = r\.id AND kv\.key = \$1\)$/);
    expect(text).toBe('(SELECT kv.value FROM params kv WHERE kv.run_id = r.id AND kv.key = $1)');
    expect(params.values).toEqual(['lr']);
    expect(fieldSortExpressions(tag('env'), new SqlParams(), 'run')[1]).toBe('(SELECT kv.value FROM tags kv WHERE kv.run_id = run.id AND kv.key = $1)');
  });

  it('sorts attributes by their column', () => {
    const sortOf = (name: string) => fieldSortExpressions(attr(name), new SqlParams());
    expect(sortOf('user')).toEqual(['r."user"']);
    expect(sortOf('status')).toEqual(['r.status::text']);
    expect(sortOf('group')).toEqual(['r.run_group']);
    expect(sortOf('started_at')).toEqual(['r.started_at']);
    expect(sortOf('duration')).toEqual(['EXTRACT(EPOCH FROM (coalesce(r.ended_at, now()) - r.started_at))::float8']);
    expect(() => sortOf('colour')).toThrow(/unknown attribute/);
  });

  it('gives one scalar per run for grouping', () => {
    const valueSql = (field: FieldRef) => fieldValueExpression(field, new SqlParams());
    expect(valueSql(param('opt'))).toBe('(SELECT kv.value FROM params kv WHERE kv.run_id = r.id AND kv.key = $1)');
    expect(valueSql(metric('acc'))).toContain('SELECT ms.last_value FROM metric_summaries ms');
    expect(valueSql(attr('name'))).toBe('r.name');
    expect(valueSql(attr('id'))).toBe('(r.id)::text');
    expect(valueSql(attr('started_at'))).toBe(`to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
  });
});

// MLflow's conjunctive filter grammar (experiments, registered models, model versions, logged
// models): what it reads, what it refuses (naming the token), and the SQL it compiles to.
import { describe, expect, it } from 'vitest';
import { compileConditions, SqlParams } from '../../src/modules/search/compile.js';
import { decodeOffsetToken, encodeOffsetToken } from '../../src/modules/search/page-token.js';
import { type ConditionSpec, parseConditions } from '../../src/modules/search/conditions.js';

const VERSIONS: ConditionSpec = {
  what: 'model versions',
  attributes: { name: 'string', run_id: 'string', source_path: 'string', version_number: 'number' },
  aliases: { version: 'version_number' },
  lists: ['name', 'run_id'],
  kinds: ['tag'],
};

describe('MLflow filter conditions', () => {
  it('reads the shapes MLflow clients send', () => {
    expect(parseConditions("name = 'churn' AND tags.`mlflow.prompt.is_prompt` != 'true'", VERSIONS)).toEqual([
      { kind: 'attribute', key: 'name', op: '=', value: 'churn' },
      { kind: 'tag', key: 'mlflow.prompt.is_prompt', op: '!=', value: 'true' },
    ]);
    expect(parseConditions(`run_id IN ('a', "b") and source_path LIKE 's3://m/%' AND version >= 2`, VERSIONS)).toEqual([
      { kind: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { kind: 'attribute', key: 'source_path', op: 'LIKE', value: 's3://m/%' },
      { kind: 'attribute', key: 'version_number', op: '>=', value: 2 },
    ]);
    expect(parseConditions(`attributes.name ILIKE "%Fraud%" AND tag."team" != 'x' AND name NOT IN ('y')`, VERSIONS)).toEqual([
      { kind: 'attribute', key: 'name', op: 'ILIKE', value: '%Fraud%' },
      { kind: 'tag', key: 'team', op: '!=', value: 'x' },
      { kind: 'attribute', key: 'name', op: 'NOT IN', value: ['y'] },
    ]);
  });

  it('is empty for no filter', () => {
    expect(parseConditions(null, VERSIONS)).toEqual([]);
    expect(parseConditions('  ', VERSIONS)).toEqual([]);
  });

  it.each([
    ["owner = 'x'", '"owner" at column 1 is not an attribute of model versions'],
    ["params.lr = '1'", 'model versions have no params to filter on'],
    ["name > 'a'", 'takes =, !=, LIKE, ILIKE, IN, NOT IN; got >'],
    ["version_number = 'two'", 'expected a number'],
    ["name = 'a' OR name = 'b'", 'join conditions with AND only'],
    ["tags.team IN ('a')", 'takes =, !=, LIKE, ILIKE; got IN'],
    ['name = ', 'expected a quoted string'],
  ])('refuses %j, naming what is wrong', (filter, message) => {
    expect(() => parseConditions(filter, VERSIONS)).toThrow(message);
  });

  it('compiles to parameterised SQL: every literal bound, tags as EXISTS', () => {
    const params = new SqlParams();
    const sql = compileConditions(
      parseConditions("name LIKE 'a%' AND tags.team = 'x' AND run_id IN ('r1')", VERSIONS),
      {
        id: 'v.id',
        attributes: { name: 'm.name', run_id: 'r.hex', source_path: 's', version_number: 'v.version' },
        keyed: { tag: { table: 't', owner: 'version_id', value: 'value' } },
      },
      params,
    );
    expect(sql).toBe(
      '(m.name LIKE $1::text) AND EXISTS (SELECT 1 FROM t kv WHERE kv.version_id = v.id AND kv.key = $2::text AND kv.value = $3::text) AND ((r.hex = ANY($4::text[])))',
    );
    expect(params.values).toEqual(['a%', 'team', 'x', ['r1']]);
  });

  it('pages with offset tokens it can read back, and refuses others', () => {
    expect(decodeOffsetToken(encodeOffsetToken(40))).toBe(40);
    expect(decodeOffsetToken(null)).toBe(0);
    expect(() => decodeOffsetToken('invalid_token')).toThrow('page_token');
  });
});

// The key rule (every door) and display names: what MLflow scripts send is accepted, names that
// would resolve to other names as files are not, and the filter language still reads every key.
import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/modules/runs/filter/parse.js';
import { keyProblem, requireName, requireKey } from '../../src/validation.js';

describe('the key rule', () => {
  it.each([
    'loss',
    'val:auc',
    'eval/f1 score',
    'résumé_ranker',
    '精度',
    'x'.repeat(250),
    'a/b/c',
    'a.b-c_d',
    '..a', // a segment that only starts with dots is a name
  ])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeNull();
    expect(requireKey('key', key)).toBe(key);
  });

  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(251), 'at most 250'],
    ['a;b', '";"'],
    ['tab\there', '"\\t"'],
    ['/abs', "must not start with '/'"],
    ['a/../b', 'must not contain a ".." path segment'],
    ['..', 'must not contain a ".." path segment'],
  ])('refuses %j, naming the rule', (key, rule) => {
    expect(() => requireKey('metrics[0].key', key)).toThrow(rule);
    expect(() => requireKey('metrics[0].key', key)).toThrow('metrics[0].key');
  });

  it('leaves every such key readable in a filter: bare, or in backquotes when it holds a space', () => {
    expect(parseFilter('metrics.val:auc > 0.5')).toMatchObject({ field: { kind: 'metric', name: 'val:auc' } });
    expect(parseFilter('params.résumé = "1"')).toMatchObject({ field: { kind: 'param', name: 'résumé' } });
    expect(parseFilter('metrics.`eval/f1 score` >= 0.9')).toMatchObject({ field: { kind: 'metric', name: 'eval/f1 score' } });
  });
});

describe('display names', () => {
  it.each(['churn (v2)', '/Users/alice@example.com/churn', 'exp: baseline', 'résumé-ranker', 'run #3 [lr=0.1]'])('accepts %j', (name) => {
    expect(requireName('input.name', name)).toBe(name);
  });

  it('trims, and refuses empty, over-long and control characters', () => {
    expect(requireName('input.name', '  a  ')).toBe('a');
    expect(() => requireName('input.name', '   ')).toThrow('must not be empty');
    expect(() => requireName('input.name', 'x'.repeat(251))).toThrow('at most 250');
    expect(() => requireName('input.name', 'a\nb')).toThrow('U+000A');
  });
});

// LIKE and ILIKE matched in memory (src/modules/search/like.ts): SQL's meaning, checked against a
// reference on small inputs, and a cost that grows with the text's length times the pattern's,
// measured in comparisons (no clocks): the pattern that made a backtracking RegExp block the
// server costs about what a plain one does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { likeMatcher, matchLike, type MatchCounter, parseLike } from '../../src/modules/search/like.js';

/** The textbook definition, as a RegExp: fine for the short strings of the property. */
function reference(pattern: string, text: string, caseInsensitive: boolean): boolean {
  let source = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i]!;
    if (ch === '\\') source += chars[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su').test(text);
}

describe('LIKE semantics', () => {
  it('agrees with the definition on every pattern and text over a small alphabet', () => {
    const pattern = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '%', '_', '\\', 'é'), maxLength: 8 }).filter((p) => !/(^|[^\\])(\\\\)*\\$/.test(p));
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '%', '_', '\\', 'é', '😀'), maxLength: 10 });
    fc.assert(
      fc.property(pattern, text, fc.boolean(), (p, t, ci) => {
        expect(matchLike(parseLike('filter', p, { caseInsensitive: ci }), t), `${JSON.stringify(p)} ${JSON.stringify(t)} ${ci}`).toBe(reference(p, t, ci));
      }),
      { numRuns: 5000, seed: 20261201 },
    );
  });

  it('escapes with a backslash, and refuses a pattern ending in a lone one, naming the field and rule', () => {
    const literal = likeMatcher('filter', 'a\\%b\\_c\\\\');
    expect(literal('a%b_c\\')).toBe(true);
    expect(literal('aXbYc\\')).toBe(false);
    for (const bad of ['abc\\', '%\\', '\\\\\\']) {
      expect(() => parseLike('filter', bad)).toThrow(ValidationError);
      expect(() => parseLike('filter', bad)).toThrow(/^filter: the LIKE pattern ends with a lone backslash/);
    }
    expect(likeMatcher('filter', 'Exp%', { caseInsensitive: true })('EXPERIMENT')).toBe(true);
    expect(likeMatcher('filter', 'Exp%')('EXPERIMENT')).toBe(false);
  });
});

describe('LIKE cost', () => {
  const steps = (pattern: string, text: string) => {
    const counter: MatchCounter = { steps: 0 };
    matchLike(parseLike('filter', pattern), text, counter);
    return counter.steps;
  };
  const HOSTILE = '%c%c%c%c%c%c%c%c%d';

  it('grows linearly with the text for the pattern that blocked the server', () => {
    const at250 = steps(HOSTILE, 'c'.repeat(250));
    const at2500 = steps(HOSTILE, 'c'.repeat(2500));
    const at25000 = steps(HOSTILE, 'c'.repeat(25_000));
    // Ten times the text, ten times the work (the RegExp: C(n, 8) placements, 10^8 times more).
    expect(at2500 / at250).toBeLessThan(11);
    expect(at25000 / at2500).toBeLessThan(10.5);
    expect(at25000).toBeLessThanOrEqual(25_000 * HOSTILE.length);
  });

  it('costs no more than the text length times the pattern length, about what a plain pattern costs', () => {
    const name = `${'c'.repeat(249)}x`;
    const plain = steps('c%', name) + steps(name, name);
    const hostile = steps(HOSTILE, name);
    expect(hostile).toBeLessThanOrEqual(name.length * HOSTILE.length);
    expect(hostile / plain).toBeLessThan(HOSTILE.length);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('c', 'd', '%', '_'), maxLength: 12 }),
        fc.string({ unit: fc.constantFrom('c', 'd'), maxLength: 300 }),
        (p, t) => {
          expect(steps(p, t)).toBeLessThanOrEqual((t.length + 1) * (p.length + 1));
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });
});

// The input rules come from one spec (schema/input-rules.json) that the Python client ships as a copy: the copy must not drift, and the server must keep the cases both sides test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { instantProblem, jsonProblem } from '../../src/input-rules.js';
import { INPUT_RULES, INPUT_RULES_PATH, keyProblem, LIMITS, requireKey, requireMaxLength, requireName } from '../../src/validation.js';

const cases = JSON.parse(readFileSync(new URL('../fixtures/key-cases.json', import.meta.url), 'utf8')) as {
  valid: string[];
  invalid: string[];
  longestValid: number;
};

describe('input rules', () => {
  it('the Python package ships the same spec, byte for byte', () => {
    const shipped = readFileSync(new URL('../../clients/python/runledger/input-rules.json', import.meta.url));
    expect(shipped.equals(readFileSync(INPUT_RULES_PATH)), 'cp schema/input-rules.json clients/python/runledger/input-rules.json').toBe(true);
  });

  it.each(cases.valid)('accepts the key %j', (key) => {
    expect(keyProblem(key)).toBeNull();
  });

  it.each(cases.invalid)('refuses the key %j, naming the field', (key) => {
    expect(() => requireKey('input.series[2].key', key)).toThrow(ValidationError);
    expect(() => requireKey('input.series[2].key', key)).toThrow(/^input\.series\[2\]\.key: /);
  });

  it('counts characters, not UTF-16 units, up to the limit', () => {
    expect(keyProblem('x'.repeat(cases.longestValid))).toBeNull();
    expect(keyProblem('x'.repeat(cases.longestValid + 1))).toMatch(/at most 250 characters \(got 251\)/);
    expect(keyProblem('𝒳'.repeat(cases.longestValid))).toBeNull(); // letters beyond the BMP: 500 UTF-16 units
  });

  it('free text counts characters as the client does (code points), not UTF-16 units', () => {
    const emoji = '\u{1F600}'.repeat(LIMITS.paramValueLength);
    expect(requireMaxLength('input.params[0].value', emoji, LIMITS.paramValueLength)).toBe(emoji);
    expect(() => requireMaxLength('input.params[0].value', `${emoji}x`, LIMITS.paramValueLength)).toThrow(
      /^input\.params\[0\]\.value: must be at most 6000 characters \(got 6001\)/,
    );
  });

  it('the edge rules take their limits from the same spec', () => {
    expect(instantProblem(Date.parse(INPUT_RULES.instant.max))).toBeNull();
    expect(instantProblem(Date.parse(INPUT_RULES.instant.max) + 1)).toMatch(/between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/);
    const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
    expect(jsonProblem(nested(INPUT_RULES.json.maxDepth))).toBeNull();
    expect(jsonProblem(nested(INPUT_RULES.json.maxDepth + 1))?.rule).toBe('depth');
  });

  it('display names may be anything printable, but no control characters', () => {
    expect(requireName('input.name', '  résumé 🚀 (v2) — #1  ')).toBe('résumé 🚀 (v2) — #1');
    expect(() => requireName('input.name', 'a\u0007b')).toThrow(/input\.name: must not contain control characters \(found U\+0007\)/);
  });
});

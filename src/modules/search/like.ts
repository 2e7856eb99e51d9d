// LIKE and ILIKE as SQL defines them (`%` any run of characters, `_` one character, `\` escapes
// the next), for names matched in memory: every door that filters names by LIKE outside SQL
// uses this, and SQL filters share its escape rule. Matching takes time proportional to the
// text's length times the pattern's, never more: the pattern is cut at each `%` into fixed-length
// segments, the first must start the text, the last end it, and each one between is placed at
// its leftmost fit after the previous one. A segment never needs a later place, since one more
// to the left leaves the rest of the text longer, so nothing is ever undone (a backtracking
// RegExp, `^.*c.*c.*c.*d$`, tries every placement of every `.*` and blocks the server).
import { ValidationError } from '../../errors.js';

/** One character of a segment; null is `_` (any one character). */
type Unit = string | null;

export interface LikePattern {
  /** The pattern cut at each unescaped `%`: one segment means no `%` at all. */
  readonly segments: readonly (readonly Unit[])[];
  readonly caseInsensitive: boolean;
}

/** Counts character comparisons, so tests can check the cost without timing anything. */
export interface MatchCounter {
  steps: number;
}

/** True when the pattern ends with an odd run of backslashes: the last one escapes nothing. */
export function endsWithLoneBackslash(pattern: string): boolean {
  return (/\\+$/.exec(pattern)?.[0].length ?? 0) % 2 === 1;
}

export const LONE_BACKSLASH_RULE = 'ends with a lone backslash, which escapes nothing; write \\\\ (two backslashes in the pattern) to match a backslash';

const fold = (s: string, caseInsensitive: boolean) => (caseInsensitive ? s.toLowerCase() : s);

/** Parses a LIKE pattern; a lone trailing backslash is a ValidationError naming `field`. */
export function parseLike(field: string, pattern: string, options: { caseInsensitive?: boolean } = {}): LikePattern {
  if (endsWithLoneBackslash(pattern)) throw new ValidationError(field, `the LIKE pattern ${LONE_BACKSLASH_RULE}`, { rule: 'likeEscape' });
  const caseInsensitive = options.caseInsensitive ?? false;
  const segments: Unit[][] = [[]];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i]!;
    if (ch === '\\') segments.at(-1)!.push(fold(chars[++i]!, caseInsensitive));
    else if (ch === '%') segments.push([]);
    else segments.at(-1)!.push(ch === '_' ? null : fold(ch, caseInsensitive));
  }
  return { segments, caseInsensitive };
}

/** Whether `segment` fits `text` at `at` (the caller keeps it in bounds). */
function fitsAt(segment: readonly Unit[], text: readonly string[], at: number, counter: MatchCounter): boolean {
  for (let j = 0; j < segment.length; j += 1) {
    counter.steps += 1;
    const unit = segment[j];
    if (unit !== null && unit !== text[at + j]) return false;
  }
  return true;
}

/** Whether `text` matches; at most about text length × pattern length comparisons. */
export function matchLike(pattern: LikePattern, text: string, counter: MatchCounter = { steps: 0 }): boolean {
  const chars = Array.from(fold(text, pattern.caseInsensitive));
  const { segments } = pattern;
  const first = segments[0]!;
  if (segments.length === 1) return chars.length === first.length && fitsAt(first, chars, 0, counter);
  const last = segments.at(-1)!;
  const end = chars.length - last.length;
  if (first.length > end || !fitsAt(first, chars, 0, counter) || !fitsAt(last, chars, end, counter)) return false;
  let at = first.length;
  for (const segment of segments.slice(1, -1)) {
    while (at + segment.length <= end && !fitsAt(segment, chars, at, counter)) at += 1;
    if (at + segment.length > end) return false;
    at += segment.length;
  }
  return true;
}

/** A predicate for a LIKE (or ILIKE) pattern, parsed once. */
export function likeMatcher(field: string, pattern: string, options: { caseInsensitive?: boolean } = {}): (text: string) => boolean {
  const parsed = parseLike(field, pattern, options);
  return (text) => matchLike(parsed, text);
}

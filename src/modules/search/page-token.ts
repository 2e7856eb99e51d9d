// MLflow's offset page tokens (search of experiments, models, versions, logged models): no SQL,
// so doors may read and write them without reaching the SQL builders.
import { ValidationError } from '../../errors.js';
import { requireText } from '../../input-rules.js';

/** Offset page tokens, as MLflow's own server hands out: base64 of {"offset": n}. */
export function decodeOffsetToken(token: string | null | undefined, field = 'page_token'): number {
  if (!token) return 0;
  // Held to the text rules like any other input (a NUL is named as such, not as a bad token).
  const text = requireText(field, Buffer.from(token, 'base64').toString('utf8'));
  try {
    const parsed = JSON.parse(text) as { offset?: unknown };
    if (Number.isSafeInteger(parsed.offset) && (parsed.offset as number) >= 0) return parsed.offset as number;
  } catch {
    // fall through
  }
  throw new ValidationError(field, 'is not a page token this search returned; start again without it');
}

export function encodeOffsetToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

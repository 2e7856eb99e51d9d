// The tags of a run as every write of them checks them.
import { ValidationError } from '../../errors.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import type { TagInput } from './service.js';

export function validateTags(field: string, tags: readonly TagInput[]): TagInput[] {
  if (tags.length > LIMITS.tagsPerBatch) throw new ValidationError(field, `at most ${LIMITS.tagsPerBatch} tags per call (got ${tags.length})`);
  const byKey = new Map<string, TagInput>();
  tags.forEach((tag, i) => {
    requireKey(`${field}[${i}].key`, tag.key);
    requireMaxLength(`${field}[${i}].value`, tag.value, LIMITS.tagValueLength);
    byKey.set(tag.key, tag); // the last value of a repeated key wins, as with sequential setTag calls
  });
  return [...byKey.values()];
}

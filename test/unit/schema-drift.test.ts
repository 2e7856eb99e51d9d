// schema/schema.graphql is the committed API reference: it must match the Pothos schema.
import { readFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema.js';

describe('schema/schema.graphql', () => {
  it('is what the Pothos schema prints (run `npm run schema:print` when this fails)', async () => {
    const committed = await readFile(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(`${printSchema(lexicographicSortSchema(schema))}\n`);
  });

  it('describes every root field', () => {
    for (const type of [schema.getQueryType(), schema.getMutationType()]) {
      for (const field of Object.values(type!.getFields())) {
        expect(field.description, `${type!.name}.${field.name}`).toBeTruthy();
      }
    }
  });
});

// The clients' GraphQL is checked against the schema: every operation the Python client sends
// must parse and validate, so a schema change that breaks the client fails here, not at a
// user's desk.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { type GraphQLError, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Each GraphQL operation the Python client sends: every module-level string constant of its
 * modules that starts with query, mutation or subscription, as Python builds it (f-strings
 * included), read by importing the package with the machine's python3.
 */
export function pythonOperations(): { where: string; text: string }[] {
  const script = `
import importlib, json, pkgutil, sys
sys.path.insert(0, "clients/python")
import runledger
out = []
for info in [i for i in pkgutil.iter_modules(runledger.__path__) if i.name != "__main__"]:
    module = importlib.import_module("runledger." + info.name)
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation", "subscription")):
            out.append({"where": f"runledger/{info.name}.py {name}", "text": value})
print(json.dumps(out))
`;
  const result = spawnSync('python3', ['-c', script], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3 could not import the client: ${result.stderr}`);
  return JSON.parse(result.stdout) as { where: string; text: string }[];
}

function problems(text: string): string[] {
  try {
    return validate(schema, parse(text)).map((e: GraphQLError) => e.message);
  } catch (error) {
    return [(error as Error).message];
  }
}

describe("the Python client's GraphQL operations", () => {
  const operations = pythonOperations();

  it('are found', () => {
    expect(operations.length).toBeGreaterThan(20);
  });

  it.each(operations.map((o) => [o.where, o.text] as const))('%s validates against the schema', (_where, text) => {
    expect(problems(text)).toEqual([]);
  });

  it('would fail on an operation the schema does not have (the check can fail)', () => {
    expect(problems('query { run(id: "x") { noSuchField } }')).not.toEqual([]);
  });
});

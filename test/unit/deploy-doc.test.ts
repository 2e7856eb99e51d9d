// docs/deploy.md's examples are configurations a user pastes: each must load as documented, and
// every variable its table names must be one the configuration reads.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const root = path.resolve(import.meta.dirname, '../..');
const doc = readFileSync(path.join(root, 'docs/deploy.md'), 'utf8');
const configSource = readFileSync(path.join(root, 'src/config.ts'), 'utf8');

/** The `export A=1 B=2  # comment` lines of each ```sh block, as environments. */
function shellBlocks(): Record<string, string>[] {
  return [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, body]) => {
    const env: Record<string, string> = {};
    for (const line of body!.split('\n')) {
      const code = line.replace(/#.*$/, '').trim();
      if (!code.startsWith('export ')) continue;
      for (const assignment of code.slice('export '.length).split(/\s+/)) {
        const at = assignment.indexOf('=');
        env[assignment.slice(0, at)] = assignment.slice(at + 1);
      }
    }
    return env;
  });
}

describe('docs/deploy.md', () => {
  it('has examples that load: AWS with the SDK credential chain, and an S3-compatible server with keys', () => {
    const [aws, compatible] = shellBlocks();
    const onAws = loadConfig(aws);
    expect(onAws.database.kind).toBe('postgres');
    expect(onAws.auth).toBe('on');
    expect(onAws.artifacts).toMatchObject({
      direct: true,
      store: { kind: 's3', bucket: 'acme-ml-artifacts', prefix: 'runledger/', region: 'eu-west-1', endpoint: null, credentials: null },
    });
    expect(onAws.neo4j?.uri).toBe('neo4j+s://abc123.databases.neo4j.io');
    expect(loadConfig(compatible!).artifacts.store).toMatchObject({
      kind: 's3',
      bucket: 'runledger-artifacts',
      endpoint: 'http://minio.internal:9000',
      forcePathStyle: true,
    });
  });

  it('documents only variables the configuration reads', () => {
    const table = doc.slice(doc.indexOf('| variable'), doc.indexOf('## The object store'));
    const names = [...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name!);
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) expect(configSource, name).toContain(`${name}:`);
  });
});

// ModelVersion.trainedOnQuarantinedData and quarantinedInputs: what the promotion gate checks,
// readable on every version, batched (a page of versions costs the statements of one), and
// naming only the quarantined data the caller may see.
import { describe, expect, it } from 'vitest';
import { GrantProjectRoleDocument, LogInputsDocument, QuarantineDatasetVersionDocument } from '../generated/graphql.js';
import type { GraphQLClient } from '../support/client.js';
import { newProject, newRun } from '../support/factories.js';
import { newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { quiesceBackground, startServer, testConfig, uniqueName, useServer, type TestServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const server = useServer();

interface Versions {
  registeredModel: {
    versions: {
      edges: { node: { version: number; trainedOnQuarantinedData: boolean; hiddenQuarantinedInputCount: number; quarantinedInputs: { version: string }[] } }[];
    };
  } | null;
}
const VERSIONS = `query($m: String!, $n: Int) { registeredModel(name: $m) { versions(first: $n) { edges { node {
  version trainedOnQuarantinedData hiddenQuarantinedInputCount quarantinedInputs { version } } } } } }`;

/** v1 on clean data, v2 on data quarantined later, v3 fine-tuned from v2 (quarantined upstream, two hops away). */
async function modelWithQuarantine(s: TestServer, client: GraphQLClient, project: string, dataProject = project) {
  const clean = await newDatasetVersion(client, { dataset: uniqueName('clean'), version: 'v1', project: dataProject });
  const bad = await newDatasetVersion(client, { dataset: uniqueName('bad'), version: 'aug', project: dataProject });
  const model = uniqueName('m');
  const train = async (datasetId: string | null, base: string | null) => {
    const run = await newRun(client, project);
    await client.data(LogInputsDocument, {
      input: {
        runId: run.id,
        datasets: datasetId ? [{ datasetVersionId: datasetId, role: 'train' }] : [],
        models: base ? [{ modelVersionId: base, role: 'base-model' }] : [],
      },
    });
    return newModelVersion(s, client, model, run.id);
  };
  await train(clean.id, null);
  const v2 = await train(bad.id, null);
  await train(null, v2.id);
  await client.data(QuarantineDatasetVersionDocument, { input: { id: bad.id, reason: 'duplicated rows' } });
  return model;
}

describe('ModelVersion quarantine fields', () => {
  it('mark every version with quarantined data upstream, at any distance', async () => {
    const s = server();
    const model = await modelWithQuarantine(s, s.client, await newProject(s.client, 'mq'));
    const data = await s.client.data<Versions, unknown>(VERSIONS, { m: model, n: 10 });
    const rows = data.registeredModel!.versions.edges.map((e) => e.node);
    expect(rows.map((v) => [v.version, v.trainedOnQuarantinedData, v.quarantinedInputs.map((d) => d.version), v.hiddenQuarantinedInputCount])).toEqual([
      [3, true, ['aug'], 0],
      [2, true, ['aug'], 0],
      [1, false, [], 0],
    ]);
  });

  it('costs the same statements for one version as for many', async () => {
    const s = server();
    const model = await modelWithQuarantine(s, s.client, await newProject(s.client, 'mq-count'));
    await quiesceBackground(s.app);
    const count = async (n: number) => {
      await s.client.data(VERSIONS, { m: model, n }); // warm the project cache
      const before = s.app.db.statementCount();
      await s.client.data(VERSIONS, { m: model, n });
      return s.app.db.statementCount() - before;
    };
    expect(await count(3)).toBe(await count(1));
  });

  it('count quarantined data in a project the caller has no role in without naming it', async () => {
    const s = await startServer(testConfig({ RUNLEDGER_AUTH: 'on' }));
    try {
      const { admin, ana } = await signInUsers(s);
      const project = await newProject(admin.client, 'mq-mine');
      const hidden = await newProject(admin.client, 'mq-hidden');
      const model = await modelWithQuarantine(s, admin.client, project, hidden);
      await admin.client.data(GrantProjectRoleDocument, { input: { project, user: ana.name, role: 'VIEWER' } });
      const data = await ana.client.data<Versions, unknown>(VERSIONS, { m: model, n: 10 });
      const v2 = data.registeredModel!.versions.edges.find((e) => e.node.version === 2)!.node;
      expect(v2).toEqual({ version: 2, trainedOnQuarantinedData: true, hiddenQuarantinedInputCount: 1, quarantinedInputs: [] });
    } finally {
      await s.app.stop();
    }
  });
});

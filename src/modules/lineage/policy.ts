// Which lineage nodes a caller may see: each node type follows its own domain's policy (a run
// its project, a dataset version its dataset's, an artifact its run's, a model version both its
// model's and its run's, a pipeline run its project, a commit any visible run that used it).
// Walks and paths are cut and redacted with this, in the lineage service, for every door.
import type { SqlQueryable } from '../../db/sql.js';
import { artifactAccess } from '../artifacts/policy.js';
import { artifactsByIds } from '../artifacts/records.js';
import { type Access, readableProjects } from '../auth/policy.js';
import { datasetAccess } from '../datasets/policy.js';
import { datasetVersionsByIds } from '../datasets/store.js';
import { pipelineRunAccess } from '../pipelines/policy.js';
import { pipelineRunsByIds } from '../pipelines/store.js';
import { visibleVersions } from '../registry/policy.js';
import { modelVersionsByIds } from '../registry/store.js';
import { runAccess } from '../runs/policy.js';
import { runsByIds } from '../runs/store.js';
import { type NodeRef, nodeKey, type NodeType } from './graph.js';
import { commitsByIds } from './store.js';

type VisibleIds = (sql: SqlQueryable, caller: Access, ids: readonly number[]) => Promise<number[]>;

const VISIBLE: Record<NodeType, VisibleIds> = {
  Run: async (sql, caller, ids) => (await runAccess.visible(caller, await runsByIds(sql, ids))).map((r) => r.id),
  DatasetVersion: async (sql, caller, ids) => {
    const rows = await datasetVersionsByIds(sql, ids);
    const datasets = new Set(
      (
        await datasetAccess.visible(
          caller,
          rows.map((r) => r.dataset),
        )
      ).map((d) => d.id),
    );
    return rows.filter((r) => datasets.has(r.dataset.id)).map((r) => r.version.id);
  },
  Artifact: async (sql, caller, ids) => (await artifactAccess.visible(caller, await artifactsByIds(sql, ids))).map((a) => a.id),
  ModelVersion: async (sql, caller, ids) => (await visibleVersions(caller, await modelVersionsByIds(sql, ids))).map((v) => v.version.id),
  PipelineRun: async (sql, caller, ids) => (await pipelineRunAccess.visible(caller, await pipelineRunsByIds(sql, ids))).map((r) => r.id),
  CodeCommit: async (sql, caller, ids) => (await commitsByIds(sql, ids, await readableProjects(caller))).map((c) => c.id),
};

/** Keys (see nodeKey) of the nodes the caller may see; one query per node type present. Global admins see every node that exists. */
export async function visibleNodeKeys(sql: SqlQueryable, caller: Access, nodes: readonly NodeRef[]): Promise<Set<string>> {
  const byType = new Map<NodeType, number[]>();
  for (const node of nodes) {
    const ids = byType.get(node.type);
    if (ids) ids.push(node.id);
    else byType.set(node.type, [node.id]);
  }
  const keys = await Promise.all(
    [...byType].map(async ([type, ids]) => (await VISIBLE[type](sql, caller, [...new Set(ids)])).map((id) => nodeKey({ type, id }))),
  );
  return new Set(keys.flat());
}

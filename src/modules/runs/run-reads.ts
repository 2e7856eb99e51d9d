// Caller-scoped reads of runs the caller already read: params, tags, code versions, children.
import type { Database } from '../../db/database.js';
import type { Run } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import { runAccess } from './policy.js';
import { childRunIds, keyValuesOfRuns, runsByIds } from './store.js';

export function createRunReads(db: Database) {
  const { prisma } = db;
  return {
    /** The runs of these ids the caller may see (deleted ones included). */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<Run[]> {
      return runAccess.visible(caller, await runsByIds(db.sql, ids));
    },

    /** Params of runs the caller read (invisible ones contribute nothing). */
    async paramsOf(caller: Access, runs: readonly Run[]) {
      const ids = (await runAccess.visible(caller, runs)).map((r) => r.id);
      return ids.length ? keyValuesOfRuns(db.sql, 'params', ids) : [];
    },

    async tagsOf(caller: Access, runs: readonly Run[]) {
      const ids = (await runAccess.visible(caller, runs)).map((r) => r.id);
      return ids.length ? keyValuesOfRuns(db.sql, 'tags', ids) : [];
    },

    /** The code version of each run the caller read, with the run it belongs to (its diff is found through it). */
    async codeVersionsOf(caller: Access, runs: readonly Run[]) {
      const visible = new Map((await runAccess.visible(caller, runs)).map((r) => [r.id, r]));
      const rows = await prisma.runCodeVersion.findMany({ where: { runId: { in: [...visible.keys()] } }, include: { commit: true } });
      return rows.map((r) => ({
        run: visible.get(r.runId)!,
        runId: r.runId,
        repository: r.commit.repository,
        commit: r.commit.commit,
        committedAt: r.commit.committedAt,
        branch: r.branch,
        dirty: r.dirty,
      }));
    },

    /** The first `limit` live children (by id, after `afterId`) of each parent the caller may see, in one query; children share their parent's project. */
    async childrenOf(caller: Access, parents: readonly Run[], limit: number, afterId: number | null): Promise<Run[]> {
      const parentIds = (await runAccess.visible(caller, parents)).map((r) => r.id);
      const ids = await childRunIds(db.sql, parentIds, afterId, limit);
      return prisma.run.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } });
    },
  };
}

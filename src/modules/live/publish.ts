// Wraps the write services so every committed change (and revocation) is published, after the write
// returned (its transaction committed) and never from inside it: a rolled-back write
// publishes nothing.
import type { AuthService } from '../auth/service.js';
import type { MetricService } from '../metrics/service.js';
import type { Run, RunService } from '../runs/service.js';
import type { AccessWatch } from './access-watch.js';
import type { LiveService, RunChange } from './service.js';

export function publishingMetrics(metrics: MetricService, live: LiveService): MetricService {
  return {
    ...metrics,
    async logBatch(caller, input) {
      const result = await metrics.logBatch(caller, input);
      live.metricsCommitted(result);
      return result;
    },
  };
}

export function publishingRuns(runs: RunService, live: LiveService): RunService {
  // Calls the write as a method of `runs` (finish retries through `this`), then announces it.
  const announcing =
    <A extends unknown[]>(change: RunChange, write: (...args: A) => Promise<Run>) =>
    async (...args: A): Promise<Run> => {
      const run = await write.apply(runs, args);
      live.runChanged(run, change);
      return run;
    };
  return {
    ...runs,
    async start(caller, input, options) {
      const result = await runs.start(caller, input, options);
      if (result.created) live.runChanged(result.run, 'CREATED');
      return result;
    },
    finish: announcing('FINISHED', runs.finish),
    async resume(caller, runId) {
      const result = await runs.resume(caller, runId);
      if (result.resumed) live.runChanged(result.run, 'RESUMED');
      return result;
    },
    update: announcing('UPDATED', runs.update),
    setTags: announcing('TAGS_CHANGED', runs.setTags),
    delete: announcing('DELETED', runs.delete),
    restore: announcing('RESTORED', runs.restore),
  };
}

/** Announces revoked tokens and roles once committed, so every replica ends the subscriptions they fed. */
export function announcingRevocations(auth: AuthService, access: AccessWatch): AuthService {
  return {
    ...auth,
    async revokeToken(id) {
      const token = await auth.revokeToken(id);
      access.announce({ kind: 'token', tokenId: token.id });
      return token;
    },
    async revokeRole(projectId, userName) {
      const revoked = await auth.revokeRole(projectId, userName);
      const user = revoked ? await auth.userByName(userName) : null;
      if (user) access.announce({ kind: 'role', userId: user.id, projectId });
      return revoked;
    },
  };
}

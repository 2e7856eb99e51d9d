// Wraps the write services so every committed change is published, after the write
// returned (its transaction committed) and never from inside it: a rolled-back write
// publishes nothing.
import type { MetricService } from '../metrics/service.js';
import type { RunService } from '../runs/service.js';
import type { LiveService } from './service.js';

export function publishingMetrics(metrics: MetricService, live: LiveService): MetricService {
  return {
    ...metrics,
    async logBatch(input) {
      const result = await metrics.logBatch(input);
      live.metricsCommitted(result);
      return result;
    },
  };
}

export function publishingRuns(runs: RunService, live: LiveService): RunService {
  return {
    ...runs,
    async start(input, actor) {
      const result = await runs.start(input, actor);
      if (result.created) live.runChanged(result.run, 'CREATED');
      return result;
    },
    async finish(input) {
      const run = await runs.finish(input);
      live.runChanged(run, 'FINISHED');
      return run;
    },
    async update(input) {
      const run = await runs.update(input);
      live.runChanged(run, 'UPDATED');
      return run;
    },
    async setTags(input) {
      const run = await runs.setTags(input);
      live.runChanged(run, 'TAGS_CHANGED');
      return run;
    },
    async delete(runId) {
      const run = await runs.delete(runId);
      live.runChanged(run, 'DELETED');
      return run;
    },
    async restore(runId) {
      const run = await runs.restore(runId);
      live.runChanged(run, 'RESTORED');
      return run;
    },
  };
}

// The MLflow endpoints runledger serves, by method and path (after /api/2.0 or /ajax-api/2.0).
// A path part in braces is a parameter; `{path+}` takes the rest of the path.
import * as artifacts from './artifacts.js';
import type { Handler } from './call.js';
import * as datasets from './datasets.js';
import * as experiments from './experiments.js';
import * as logging from './logging.js';
import * as loggedModels from './logged-models.js';
import * as metrics from './metrics.js';
import * as registry from './registry.js';
import * as runs from './runs.js';
import * as webhooks from './webhooks.js';

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  handler: Handler;
  /** The handler reads the request body itself (artifact bytes). */
  rawBody?: boolean;
  /** A POST that only reads (searches): not audited. */
  read?: boolean;
}

const M = '/mlflow';

export const ROUTES: readonly Route[] = [
  { method: 'POST', path: `${M}/experiments/create`, handler: experiments.createExperiment },
  { method: 'GET', path: `${M}/experiments/get`, handler: experiments.getExperiment },
  { method: 'GET', path: `${M}/experiments/get-by-name`, handler: experiments.getExperimentByName },
  { method: 'POST', path: `${M}/experiments/search`, handler: experiments.searchExperiments, read: true },
  { method: 'GET', path: `${M}/experiments/search`, handler: experiments.searchExperiments },
  { method: 'POST', path: `${M}/experiments/search-datasets`, handler: datasets.searchDatasets, read: true },
  { method: 'POST', path: `${M}/experiments/delete`, handler: experiments.deleteExperiment },
  { method: 'POST', path: `${M}/experiments/restore`, handler: experiments.restoreExperiment },
  { method: 'POST', path: `${M}/experiments/update`, handler: experiments.updateExperiment },
  { method: 'POST', path: `${M}/experiments/set-experiment-tag`, handler: experiments.setExperimentTag },
  { method: 'POST', path: `${M}/experiments/delete-experiment-tag`, handler: experiments.deleteExperimentTag },

  { method: 'POST', path: `${M}/runs/create`, handler: runs.createRun },
  { method: 'GET', path: `${M}/runs/get`, handler: runs.getRun },
  { method: 'POST', path: `${M}/runs/update`, handler: runs.updateRun },
  { method: 'POST', path: `${M}/runs/delete`, handler: runs.deleteRun },
  { method: 'POST', path: `${M}/runs/restore`, handler: runs.restoreRun },
  { method: 'POST', path: `${M}/runs/search`, handler: runs.searchRuns, read: true },
  { method: 'POST', path: `${M}/runs/log-metric`, handler: logging.logMetric },
  { method: 'POST', path: `${M}/runs/log-parameter`, handler: logging.logParam },
  { method: 'POST', path: `${M}/runs/set-tag`, handler: logging.setTag },
  { method: 'POST', path: `${M}/runs/delete-tag`, handler: logging.deleteTag },
  { method: 'POST', path: `${M}/runs/log-batch`, handler: logging.logBatch },
  { method: 'POST', path: `${M}/runs/log-inputs`, handler: logging.logInputs },
  { method: 'POST', path: `${M}/runs/outputs`, handler: logging.logOutputs },
  { method: 'GET', path: `${M}/metrics/get-history`, handler: metrics.getMetricHistory },
  { method: 'GET', path: `${M}/metrics/get-history-bulk`, handler: metrics.getMetricHistoryBulk },
  { method: 'GET', path: `${M}/metrics/get-history-bulk-interval`, handler: metrics.getMetricHistoryBulkInterval },

  { method: 'POST', path: `${M}/registered-models/create`, handler: registry.createRegisteredModel },
  { method: 'GET', path: `${M}/registered-models/get`, handler: registry.getRegisteredModel },
  { method: 'GET', path: `${M}/registered-models/search`, handler: registry.searchRegisteredModels },
  { method: 'PATCH', path: `${M}/registered-models/update`, handler: registry.updateRegisteredModel },
  { method: 'POST', path: `${M}/registered-models/get-latest-versions`, handler: registry.getLatestVersions, read: true },
  { method: 'GET', path: `${M}/registered-models/get-latest-versions`, handler: registry.getLatestVersions },
  { method: 'POST', path: `${M}/registered-models/alias`, handler: registry.setAlias },
  { method: 'DELETE', path: `${M}/registered-models/alias`, handler: registry.deleteAlias },
  { method: 'GET', path: `${M}/registered-models/alias`, handler: registry.getVersionByAlias },
  { method: 'POST', path: `${M}/model-versions/create`, handler: registry.createModelVersion },
  { method: 'GET', path: `${M}/model-versions/get`, handler: registry.getModelVersion },
  { method: 'GET', path: `${M}/model-versions/search`, handler: registry.searchModelVersions },
  { method: 'PATCH', path: `${M}/model-versions/update`, handler: registry.updateModelVersion },
  { method: 'GET', path: `${M}/model-versions/get-download-uri`, handler: registry.getDownloadUri },

  { method: 'POST', path: `${M}/registered-models/set-tag`, handler: registry.setRegisteredModelTag },
  { method: 'DELETE', path: `${M}/registered-models/delete-tag`, handler: registry.deleteRegisteredModelTag },
  { method: 'POST', path: `${M}/model-versions/set-tag`, handler: registry.setModelVersionTag },
  { method: 'DELETE', path: `${M}/model-versions/delete-tag`, handler: registry.deleteModelVersionTag },

  { method: 'POST', path: `${M}/webhooks`, handler: webhooks.createWebhook },
  { method: 'GET', path: `${M}/webhooks`, handler: webhooks.listWebhooks },
  { method: 'GET', path: `${M}/webhooks/{webhook_id}`, handler: webhooks.getWebhook },
  { method: 'PATCH', path: `${M}/webhooks/{webhook_id}`, handler: webhooks.updateWebhook },
  { method: 'DELETE', path: `${M}/webhooks/{webhook_id}`, handler: webhooks.deleteWebhook },
  // Sends a sample event now and reports the answer: a write to the receiver, not to runledger.
  { method: 'POST', path: `${M}/webhooks/{webhook_id}/test`, handler: webhooks.testWebhook },

  { method: 'POST', path: `${M}/logged-models`, handler: loggedModels.createLoggedModel },
  { method: 'POST', path: `${M}/logged-models/search`, handler: loggedModels.searchLoggedModels, read: true },
  { method: 'GET', path: `${M}/logged-models/{modelId}`, handler: loggedModels.getLoggedModel },
  { method: 'PATCH', path: `${M}/logged-models/{modelId}`, handler: loggedModels.finalizeLoggedModel },
  { method: 'DELETE', path: `${M}/logged-models/{modelId}`, handler: loggedModels.deleteLoggedModel },
  { method: 'PATCH', path: `${M}/logged-models/{modelId}/tags`, handler: loggedModels.setLoggedModelTags },
  { method: 'DELETE', path: `${M}/logged-models/{modelId}/tags/{key}`, handler: loggedModels.deleteLoggedModelTag },
  { method: 'POST', path: `${M}/logged-models/{modelId}/params`, handler: loggedModels.logLoggedModelParams },
  { method: 'GET', path: `${M}/logged-models/{modelId}/artifacts/directories`, handler: loggedModels.listLoggedModelArtifacts },
  { method: 'GET', path: `${M}/logged-models/{modelId}/artifacts/files`, handler: loggedModels.downloadLoggedModelArtifact },

  { method: 'GET', path: `${M}/artifacts/list`, handler: artifacts.listRunArtifacts },
  { method: 'POST', path: `${M}/upload-artifact`, handler: artifacts.uploadRunArtifact, rawBody: true },
  { method: 'GET', path: '/mlflow-artifacts/artifacts', handler: artifacts.listArtifacts },
  { method: 'GET', path: '/mlflow-artifacts/artifacts/{path+}', handler: artifacts.downloadArtifact },
  { method: 'PUT', path: '/mlflow-artifacts/artifacts/{path+}', handler: artifacts.uploadArtifact, rawBody: true },
  // The MLflow UI's downloads, at the server's root.
  { method: 'GET', path: '/get-artifact', handler: artifacts.getRunArtifact },
  { method: 'GET', path: '/model-versions/get-artifact', handler: artifacts.getModelVersionArtifact },
];

/** The route and path parameters for a request; `allowed` lists the methods of a path matched with another method. */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | { route: null; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return { route: null, allowed };
}

function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    const part = want[i]!;
    if (part.endsWith('+}')) {
      if (i >= got.length || got.slice(i).join('/') === '') return null;
      params[part.slice(1, -2)] = got.slice(i).join('/');
      return params;
    }
    if (i >= got.length) return null;
    if (part.startsWith('{')) {
      if (!got[i]) return null;
      params[part.slice(1, -1)] = got[i]!;
    } else if (part !== got[i]) return null;
  }
  return want.length === got.length ? params : null;
}

// MLflow endpoints runledger does not serve, answered with a JSON 404 that names the feature, so
// a client sees why instead of an HTML page. MLflow 3's GenAI features (traces, assessments,
// evaluation datasets, scorers, the AI gateway, prompts, issues, labeling) are out of scope:
// runledger tracks training runs, their data and their models.
const GENAI = "one of MLflow 3's GenAI features, which runledger does not serve (it tracks training runs, their data and their models; see docs/mlflow.md)";

/** The first path parts after /mlflow/ that belong to a feature runledger leaves out, and its name. */
const FEATURES: [RegExp, string][] = [
  [/^traces\/[^/]+\/assessments|^traces\/.*assessment/, 'Assessments (trace feedback)'],
  [/^(traces|unified-traces|tracing|get-online-trace-details|get-trace-artifact)(\/|$)/, 'Tracing (traces and spans)'],
  [/^datasets(\/|$)/, 'Evaluation datasets (mlflow.genai.datasets)'],
  [/^scorers(\/|$)/, 'Scorers'],
  [/^(gateway|gateway-proxy|endpoints|secrets|model-definitions|providers)(\/|$)/, 'The AI gateway'],
  [/^(prompts|prompt-optimization)(\/|$)|^runs\/create-promptlab-run$/, 'Prompts (the prompt registry and prompt optimization)'],
  [/^issues(\/|$)/, 'Issues'],
  [/^(label-schemas|review-queues)(\/|$)/, 'Labeling sessions and review queues'],
  [/^webhooks(\/|$)/, 'Webhooks'],
  [/^workspaces(\/|$)/, 'Workspaces'],
  [/^otel-|^v1\/traces/, 'Tracing (traces and spans)'],
];

/** The feature an MLflow path belongs to when runledger leaves it out on purpose, else null. */
export function outOfScopeFeature(path: string): string | null {
  const rest = path.replace(/^\/mlflow\//, '').replace(/^\/+/, '');
  if (path.startsWith('/gateway/')) return 'The AI gateway';
  const found = FEATURES.find(([pattern]) => pattern.test(rest));
  return found ? found[1] : null;
}

export function notServedMessage(method: string, pathname: string, feature: string | null, allowed: readonly string[]): string {
  if (feature) return `${feature}: ${method} ${pathname} is ${GENAI}`;
  const hint = allowed.length ? ` (this path takes ${allowed.join(', ')})` : '';
  return `runledger does not serve ${method} ${pathname}${hint}; docs/mlflow.md lists what its MLflow door serves`;
}

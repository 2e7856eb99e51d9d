// MLflow's GraphQL operations on POST /graphql, beside runledger's own schema: a yoga plugin
// takes an operation whose root fields are all MLflow's (graphql-schema.ts) and answers it as
// MLflow's server does ({"data", "errors": [text] | null}, MLflow's query-size limits), each
// field resolved by the MLflow REST handler of the same operation with the caller passed on,
// so the services decide access exactly as on the REST routes.
import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  validate,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { Access } from '../../modules/auth/access.js';
import { authenticate, credentialsFromHeaders } from '../../modules/auth/authenticate.js';
import type { Services } from '../../services.js';
import { getMetricHistoryBulkInterval } from './metrics.js';
import { listRunArtifacts } from './artifacts.js';
import type { Call, Handler } from './call.js';
import { searchDatasets } from './datasets.js';
import { mlflowErrorReply } from './errors.js';
import { getExperiment } from './experiments.js';
import { MLFLOW_GRAPHQL_ROOTS, mlflowGraphQLSchema } from './graphql-schema.js';
import { searchModelVersions } from './registry.js';
import { getRun, searchRuns } from './runs.js';
import { Params } from './wire.js';

/** MLflow's limits on one GraphQL request, with its defaults. */
const MAX_ROOT_FIELDS = 10;
const MAX_ALIASES = 10;
const MAX_DEPTH = 10;
const MAX_SELECTIONS = 1000;
const MAX_TOKENS = 20_000;

/** The operation a request runs: the one named, or the only one. */
function operationOf(doc: DocumentNode, name: string | null | undefined): OperationDefinitionNode | null {
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return (name ? ops.find((o) => o.name?.value === name) : ops.length === 1 ? ops[0] : undefined) ?? null;
}

/** Whether every root field of the operation is one of MLflow's (so this schema answers it). */
export function isMlflowOperation(op: OperationDefinitionNode): boolean {
  const roots: readonly string[] = op.operation === 'mutation' ? MLFLOW_GRAPHQL_ROOTS.mutation : op.operation === 'query' ? MLFLOW_GRAPHQL_ROOTS.query : [];
  const fields = op.selectionSet.selections.filter((s) => s.kind === Kind.FIELD);
  return fields.length > 0 && fields.length === op.selectionSet.selections.length && fields.every((f) => roots.includes(f.name.value));
}

/** MLflow's query-size checks, in its order and words: depth and selections, then root fields, then aliases per selection set. */
function sizeProblem(doc: DocumentNode): string | null {
  const fragments = new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  let roots = 0;
  let selections = 0;
  let aliases = 0;
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const stack: { set: SelectionSetNode; depth: number }[] = [{ set: def.selectionSet, depth: 1 }];
    while (stack.length) {
      const { set, depth } = stack.pop()!;
      if (depth > MAX_DEPTH) return `Query exceeds maximum depth of ${MAX_DEPTH}`;
      let here = 0;
      const pending = [...set.selections];
      const seen = new Set<string>();
      while (pending.length) {
        const s = pending.shift()!;
        if (s.kind === Kind.INLINE_FRAGMENT) pending.push(...s.selectionSet.selections);
        else if (s.kind === Kind.FRAGMENT_SPREAD) {
          const f = fragments.get(s.name.value);
          if (f && !seen.has(f.name.value)) {
            seen.add(f.name.value);
            pending.push(...f.selectionSet.selections);
          }
        } else {
          if (s.alias) here += 1;
          if (depth === 1) roots += 1;
          if (s.selectionSet) stack.push({ set: s.selectionSet, depth: depth + 1 });
          selections += 1;
          if (selections > MAX_SELECTIONS) return `Query exceeds maximum total selections of ${MAX_SELECTIONS}`;
        }
      }
      aliases = Math.max(aliases, here);
    }
  }
  const advice = (what: string, env: string, max: number, got: number) =>
    `GraphQL queries should have at most ${max} ${what}, got ${got} ${what}. To increase the limit, set the ${env} environment variable.`;
  if (roots > MAX_ROOT_FIELDS) return advice('root fields', 'MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS', MAX_ROOT_FIELDS, roots);
  if (aliases > MAX_ALIASES) return advice('aliases', 'MLFLOW_SERVER_GRAPHQL_MAX_ALIASES', MAX_ALIASES, aliases);
  return null;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A REST answer in GraphQL's spelling; doubles that are not finite read as null (a GraphQL Float holds neither). */
function camelize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelize);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [camel(k), camelize(v)]));
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return null;
  return value;
}

function snakeInput(input: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input ?? {}).flatMap(([k, v]) => (v === null || v === undefined ? [] : [[snake(k), v]])));
}

interface MlflowContext {
  call: (handler: Handler, input: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

/** A handler's answer, or MLflow's apiError for an expected refusal. */
async function answer(ctx: MlflowContext, handler: Handler, input: Record<string, unknown>, shape?: (body: Record<string, unknown>) => unknown) {
  try {
    const body = await ctx.call(handler, input);
    return camelize(shape ? shape(body) : body) as Record<string, unknown>;
  } catch (error) {
    const reply = mlflowErrorReply(error);
    if (!reply) throw error;
    return { apiError: { code: reply.body.error_code, message: reply.body.message } };
  }
}

/** MLflow's run extension: a run's experiment and the model versions registered from it, on demand. */
function withRunLinks(ctx: MlflowContext, runs: unknown[]): unknown[] {
  return runs.map((run) => {
    const r = run as { info: { experimentId: string; runId: string } };
    return {
      ...r,
      experiment: async () => (await answer(ctx, getExperiment, { experiment_id: r.info.experimentId })).experiment ?? null,
      modelVersions: async () => (await answer(ctx, searchModelVersions, { filter: `run_id = '${r.info.runId}'` })).modelVersions ?? [],
    };
  });
}

const rootValue = {
  test: ({ inputString }: { inputString?: string }) => ({ output: inputString ?? null }),
  testMutation: ({ inputString }: { inputString?: string }) => ({ output: inputString ?? null }),
  mlflowGetExperiment: ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) => answer(ctx, getExperiment, snakeInput(input)),
  mlflowGetRun: async ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) => {
    const got = await answer(ctx, getRun, snakeInput(input));
    return got.run ? { ...got, run: withRunLinks(ctx, [got.run])[0] } : got;
  },
  mlflowSearchRuns: async ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) => {
    const got = await answer(ctx, searchRuns, snakeInput(input));
    return Array.isArray(got.runs) ? { ...got, runs: withRunLinks(ctx, got.runs) } : got;
  },
  mlflowGetMetricHistoryBulkInterval: ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) =>
    answer(ctx, getMetricHistoryBulkInterval, snakeInput(input)),
  mlflowListArtifacts: ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) =>
    answer(ctx, listRunArtifacts, snakeInput(input), (body) => ({
      ...body,
      files: (body.files as { file_size?: number }[]).map((f) => ({ ...f, file_size: f.file_size ?? 0 })),
    })),
  mlflowSearchModelVersions: ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) => answer(ctx, searchModelVersions, snakeInput(input)),
  mlflowSearchDatasets: ({ input }: { input?: Record<string, unknown> }, ctx: MlflowContext) => answer(ctx, searchDatasets, snakeInput(input)),
};

/** Runs an MLflow GraphQL request as `access`; the result is MLflow's wire shape. */
export async function executeMlflowGraphQL(
  services: Services,
  log: Logger,
  access: Access,
  request: { doc: DocumentNode; variables?: Record<string, unknown> | null; operationName?: string | null },
): Promise<{ data: unknown; errors: string[] | null }> {
  const problem = sizeProblem(request.doc);
  if (problem) return { data: null, errors: [problem] };
  const schema = mlflowGraphQLSchema();
  const invalid = validate(schema, request.doc);
  if (invalid.length) return { data: null, errors: invalid.map((e) => e.message) };
  const ctx: MlflowContext = {
    call: async (handler, input) => {
      // GraphQL carries no HTTP request of its own: these handlers read only their parameters.
      const call = { params: new Params(input), access, services, log, req: null, res: null, path: {}, targets: [] } as unknown as Call;
      return (await handler(call)) as Record<string, unknown>;
    },
  };
  const result = (await execute({
    schema,
    document: request.doc,
    rootValue,
    contextValue: ctx,
    variableValues: request.variables,
    operationName: request.operationName,
  })) as ExecutionResult;
  for (const error of result.errors ?? [])
    if (!error.originalError || !mlflowErrorReply(error.originalError)) log.error('mlflow graphql field failed', { err: error });
  return { data: result.data ?? null, errors: result.errors?.length ? result.errors.map((e) => e.message) : null };
}

/**
 * The yoga plugin: an operation made only of MLflow's root fields is answered here, before
 * runledger's schema sees it. Anything else (and anything that does not parse) goes on to yoga.
 */
export function useMlflowGraphQL(services: Services, log: Logger, config: Pick<Config, 'auth'>): Plugin {
  return {
    async onParams({ params, request, setResult }) {
      if (typeof params.query !== 'string' || !/\b(mlflow[A-Z]\w*|test|testMutation)\s*[({]/.test(params.query)) return;
      let doc: DocumentNode;
      try {
        doc = parse(params.query, { maxTokens: MAX_TOKENS });
      } catch {
        return;
      }
      const op = operationOf(doc, params.operationName);
      if (!op || !isMlflowOperation(op)) return;
      let access: Access;
      try {
        access = new Access(await authenticate(services.auth, config.auth, credentialsFromHeaders(request.headers)), services.auth);
      } catch (error) {
        const reply = mlflowErrorReply(error);
        if (!reply) throw error;
        setResult({ data: null, errors: [reply.body.message] } as unknown as ExecutionResult);
        return;
      }
      const result = await executeMlflowGraphQL(services, log, access, { doc, variables: params.variables, operationName: params.operationName });
      // Yoga writes the result as it is: errors stay the plain strings MLflow's clients expect.
      setResult(result as unknown as ExecutionResult);
    },
  };
}

// The parity matrix must know every door's operations: a new MLflow route, GraphQL root field or
// HTTP route that no row drives fails here, so a door cannot grow past the rules unnoticed.
import { describe, expect, it } from 'vitest';
import { MLFLOW_GRAPHQL_ROOTS } from '../../src/http/mlflow/graphql-schema.js';
import { ROUTES as MARQUEZ_ROUTES } from '../../src/http/marquez/routes.js';
import { ROUTES } from '../../src/http/mlflow/routes.js';
import { schema } from '../../src/schema.js';
import { ALL_ROWS } from './matrix.js';

const covered = new Set(ALL_ROWS.flatMap((row) => row.doors.map((d) => d.route)));

/** Root fields that touch nothing of a project, so no visibility or permission rule applies. */
const NOT_PROJECT_BOUND: Record<string, string> = {
  'graphql query viewer': 'describes the caller only',
};

/** MLflow's own GraphQL operations on /graphql (its test echo fields touch nothing). */
const MLFLOW_GRAPHQL = [...new Set([...MLFLOW_GRAPHQL_ROOTS.query, ...MLFLOW_GRAPHQL_ROOTS.mutation])]
  .filter((root) => !root.startsWith('test'))
  .map((root) => `mlflow graphql ${root}`);

/** Marquez routes that touch nothing of a project. */
const MARQUEZ_NOT_PROJECT_BOUND: Record<string, string> = {
  'marquez GET /api/v1/tags': 'runledger keeps no Marquez tags: always an empty list',
};

const marquezRoutes = () => MARQUEZ_ROUTES.map((r) => `marquez ${r.method} /api/v1${r.path}`);

/** The HTTP routes beside GraphQL and MLflow, as the edge serves them. */
const OTHER_ROUTES = [
  'openlineage POST /api/v1/lineage',
  'artifacts PUT /artifacts/runs/{runId}',
  'artifacts GET /artifacts/{artifactId}',
  'artifacts POST /artifacts/runs/{runId}/uploads',
  'artifacts GET /artifacts/uploads/{uploadId}',
  'artifacts PUT /artifacts/uploads/{uploadId}',
  'artifacts POST /artifacts/uploads/{uploadId}/complete',
  'artifacts DELETE /artifacts/uploads/{uploadId}',
];

function graphqlRoots(): string[] {
  const roots: string[] = [];
  for (const [kind, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const) {
    for (const name of Object.keys(type?.getFields() ?? {})) roots.push(`graphql ${kind} ${name}`);
  }
  return roots;
}

describe('the parity matrix', () => {
  it('drives every MLflow route', () => {
    const missing = ROUTES.map((r) => `mlflow ${r.method} ${r.path}`).filter((r) => !covered.has(r));
    expect(missing).toEqual([]);
  });

  it('drives every MLflow GraphQL operation', () => {
    expect(MLFLOW_GRAPHQL.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('drives every GraphQL root field that reads or changes a project', () => {
    const missing = graphqlRoots().filter((r) => !covered.has(r) && !(r in NOT_PROJECT_BOUND));
    expect(missing).toEqual([]);
  });

  it('drives every Marquez route that reads or changes a project', () => {
    const missing = marquezRoutes().filter((r) => !covered.has(r) && !(r in MARQUEZ_NOT_PROJECT_BOUND));
    expect(missing).toEqual([]);
  });

  it('drives the OpenLineage intake and the artifact byte routes', () => {
    expect(OTHER_ROUTES.filter((r) => !covered.has(r))).toEqual([]);
  });

  it('names only routes that exist (a renamed route fails here, not silently)', () => {
    const known = new Set([...ROUTES.map((r) => `mlflow ${r.method} ${r.path}`), ...graphqlRoots(), ...OTHER_ROUTES, ...MLFLOW_GRAPHQL, ...marquezRoutes()]);
    expect([...covered].filter((r) => !known.has(r))).toEqual([]);
  });
});

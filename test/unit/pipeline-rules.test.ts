// The mapping rules of OpenLineage events that need no database: state order, facet merge by
// event time, event identity, version naming, commit shas and namespace -> project mapping.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { keyProblem } from '../../src/validation.js';
import {
  canonicalJson,
  commitSha,
  defaultProjectName,
  eventDigest,
  facetValues,
  mergeFacets,
  nextState,
  projectForNamespace,
} from '../../src/modules/pipelines/rules.js';

const t = (hour: number) => new Date(Date.UTC(2026, 10, 1, hour));

describe('pipeline run state', () => {
  it('moves on with later events of the same rank and never leaves an ended state', () => {
    let s = nextState({ state: 'UNKNOWN', stateAt: null }, 'START', t(1));
    expect(s).toEqual({ state: 'START', stateAt: t(1) });
    s = nextState(s, 'RUNNING', t(2));
    expect(s.state).toBe('RUNNING');
    expect(nextState(s, 'START', t(1)).state).toBe('RUNNING');
    const ended = nextState(s, 'COMPLETE', t(3));
    expect(ended).toEqual({ state: 'COMPLETE', stateAt: t(3) });
    expect(nextState(ended, 'START', t(4))).toBe(ended);
    expect(nextState(ended, 'RUNNING', t(5))).toBe(ended);
    expect(nextState(ended, null, t(6))).toBe(ended);
  });

  it('ends the same whichever order START and FAIL arrive in', () => {
    const unknown = { state: 'UNKNOWN' as const, stateAt: null };
    const inOrder = nextState(nextState(unknown, 'START', t(1)), 'FAIL', t(2));
    const reversed = nextState(nextState(unknown, 'FAIL', t(2)), 'START', t(1));
    expect(reversed).toEqual(inOrder);
  });
});

describe('ties at one instant', () => {
  it('end the same whichever event arrives first', () => {
    const unknown = { state: 'UNKNOWN' as const, stateAt: null };
    for (const [a, b] of [
      ['COMPLETE', 'FAIL'],
      ['START', 'RUNNING'],
    ] as const) {
      expect(nextState(nextState(unknown, a, t(1)), b, t(1))).toEqual(nextState(nextState(unknown, b, t(1)), a, t(1)));
    }
    const x = { sql: { query: 'SELECT 1' } };
    const y = { sql: { query: 'SELECT 2' } };
    expect(mergeFacets(mergeFacets({}, x, t(1)), y, t(1))).toEqual(mergeFacets(mergeFacets({}, y, t(1)), x, t(1)));
  });
});

describe('facet merge', () => {
  it('keeps, per facet, the value of the latest event, whatever the arrival order', () => {
    const a = { nominalTime: { nominalStartTime: 'old' }, sql: { query: 'SELECT 1' } };
    const b = { nominalTime: { nominalStartTime: 'new' } };
    const inOrder = mergeFacets(mergeFacets({}, a, t(1)), b, t(2));
    const reversed = mergeFacets(mergeFacets({}, b, t(2)), a, t(1));
    expect(facetValues(reversed)).toEqual(facetValues(inOrder));
    expect(facetValues(inOrder)).toEqual({ nominalTime: { nominalStartTime: 'new' }, sql: { query: 'SELECT 1' } });
    expect(facetValues({})).toBeNull();
  });
});

describe('event identity', () => {
  it('is the same for the same event with keys in another order, and differs for any other change', () => {
    const e = { eventType: 'START', run: { runId: 'r', facets: { a: 1, b: [1, 2] } } };
    expect(canonicalJson({ run: { facets: { b: [1, 2], a: 1 }, runId: 'r' }, eventType: 'START' })).toBe(canonicalJson(e));
    expect(eventDigest({ run: { facets: { b: [1, 2], a: 1 }, runId: 'r' }, eventType: 'START' })).toBe(eventDigest(e));
    expect(eventDigest({ ...e, eventType: 'COMPLETE' })).not.toBe(eventDigest(e));
    expect(eventDigest({ ...e, run: { runId: 'r', facets: { a: 1, b: [2, 1] } } })).not.toBe(eventDigest(e));
  });

  it('keeps the digests of events already stored: the same text as sorted-key JSON', () => {
    // The recursive definition digests were computed with before; the iterative one must agree.
    const recursive = (v: unknown): string => {
      if (Array.isArray(v)) return `[${v.map(recursive).join(',')}]`;
      if (v && typeof v === 'object')
        return `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${recursive((v as Record<string, unknown>)[k])}`)
          .join(',')}}`;
      return JSON.stringify(v) ?? 'null';
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(recursive(value));
      }),
    );
    expect(canonicalJson({ b: [], a: {}, c: [null, 'x', { z: 1, y: [true] }] })).toBe('{"a":{},"b":[],"c":[null,"x",{"y":[true],"z":1}]}');
  });

  it('does not overflow the call stack on values nested 100,000 levels deep', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = i % 2 ? [deep] : { a: deep };
    expect(canonicalJson(deep)).toHaveLength(100_000 * 4 + 1);
  });
});

describe('code commits from sourceCodeLocation', () => {
  it('takes git shas and leaves other version strings alone', () => {
    expect(commitSha('ABCDEF1234567')).toBe('abcdef1234567');
    expect(commitSha('v1.2.3')).toBeNull();
    expect(commitSha(42)).toBeNull();
  });
});

describe('namespace to project', () => {
  it('maps configured namespaces, then "*", else the project named like the namespace', () => {
    const { projects } = loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'airflow-prod=pipelines, dbt=analytics' }).openLineage;
    expect(projectForNamespace('airflow-prod', projects)).toBe('pipelines');
    expect(projectForNamespace('dbt', projects)).toBe('analytics');
    expect(projectForNamespace('spark', projects)).toBe('spark');
    const { projects: withDefault } = loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'dbt=analytics,*=etl' }).openLineage;
    expect(projectForNamespace('spark', withDefault)).toBe('etl');
  });

  it('reports a malformed mapping entry by name', () => {
    expect(() => loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'airflow-prod' })).toThrow(ConfigError);
    expect(() => loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'a=b,=c' })).toThrow(/RUNLEDGER_OPENLINEAGE_PROJECTS.*"=c"/);
    expect(() => loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'a=bad\u0007name' })).toThrow(/not a valid project name/);
    // Project names are display names, as MLflow experiment names are.
    expect(loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'a=exp: baseline' }).openLineage.projects.get('a')).toBe('exp: baseline');
  });

  it('maps URI-like namespaces (with ":") by the mapping, else to a normalised project name', () => {
    const { projects } = loadConfig({ RUNLEDGER_OPENLINEAGE_PROJECTS: 'airflow://production=etl,spark://m:7077=spark' }).openLineage;
    expect(projectForNamespace('airflow://production', projects)).toBe('etl');
    expect(projectForNamespace('spark://m:7077', projects)).toBe('spark');
    expect(projectForNamespace('postgres://db:5432', projects)).toBe('postgres-db-5432');
    expect(defaultProjectName('airflow://production')).toBe('airflow-production');
    expect(defaultProjectName('etl-prod')).toBe('etl-prod');
    expect(defaultProjectName('abfss://c@acct.dfs.core.windows.net')).toBe('abfss-c-acct.dfs.core.windows.net');
    expect(defaultProjectName('::')).toBe('openlineage');
    expect(defaultProjectName('team/../other')).toBe('team/-/other');
    for (const ns of ['airflow://production', 'spark://host:7077', 'team/../other', '/abs', 'a:b', 'ünï', '..', ' x ', `s3://${'b'.repeat(400)}`])
      expect(keyProblem(defaultProjectName(ns)), ns).toBeNull();
    const long = defaultProjectName(`s3://${'b'.repeat(400)}`);
    expect(long).toHaveLength(250);
    expect(long).not.toBe(defaultProjectName(`s3://${'b'.repeat(401)}`));
  });
});

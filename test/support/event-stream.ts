// A generator of realistic OpenLineage event streams, shaped like what the Airflow, dbt and Spark
// integrations send (parent facets, nominal times, SQL and source-code facets, schemas, column
// lineage, Delta versions, symlinks, a failed task and its retry, a JobEvent and a
// DatasetEvent), for several days of one pipeline: Airflow ingests clicks into the warehouse,
// dbt models them, Spark writes features to a Delta table. Deterministic per seed; `tenant`
// makes the namespaces and run ids unique, so two streams of one seed can share a database and
// still be compared (normalise() maps both back to the same text).
import { SCHEMA_URL } from './openlineage.js';

function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles a copy of the list (Fisher-Yates, seeded). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = random(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface EventStream {
  events: Record<string, unknown>[];
  /** Names the stream's namespaces carry, and what each run id stands for, to normalise() with. */
  tenant: string;
  runLabels: Map<string, string>;
  namespaces: { airflow: string; dbt: string; spark: string; warehouse: string; raw: string; lake: string; source: string };
}

const PRODUCERS = {
  airflow: 'https://github.com/apache/airflow/tree/providers-openlineage/2.1.0',
  dbt: 'https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/dbt',
  spark: 'https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/spark',
};
const FACET = (name: string) => ({
  _producer: 'https://github.com/OpenLineage/OpenLineage',
  _schemaURL: `https://openlineage.io/spec/facets/1-0-0/${name}.json`,
});

const field = (name: string, type: string) => ({ name, type });
const schema = (...fields: { name: string; type: string }[]) => ({ schema: { ...FACET('SchemaDatasetFacet'), fields } });
const dataSource = (uri: string) => ({ dataSource: { ...FACET('DatasourceDatasetFacet'), name: uri, uri } });
const columnLineage = (fields: Record<string, { namespace: string; name: string; field: string; type?: string; subtype?: string }[]>) => ({
  columnLineage: {
    ...FACET('ColumnLineageDatasetFacet'),
    fields: Object.fromEntries(
      Object.entries(fields).map(([out, inputs]) => [
        out,
        {
          inputFields: inputs.map((i) => ({
            namespace: i.namespace,
            name: i.name,
            field: i.field,
            transformations: [{ type: i.type ?? 'DIRECT', subtype: i.subtype ?? 'IDENTITY', description: '', masking: false }],
          })),
        },
      ]),
    ),
  },
});

export function eventStream(options: { seed: number; days: number; tenant: string }): EventStream {
  const { tenant } = options;
  // Run ids differ per tenant (two streams of one seed may share a database); everything else is the seed's.
  const next = random(options.seed ^ [...tenant].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
  const runLabels = new Map<string, string>();
  const uuid = (label: string) => {
    const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    runLabels.set(id, label);
    return id;
  };
  const ns = {
    airflow: `airflow://prod-${tenant}`,
    dbt: `dbt-${tenant}`,
    spark: `spark://master-${tenant}:7077`,
    warehouse: `postgres://warehouse-${tenant}:5432`,
    raw: `s3://raw-${tenant}`,
    lake: `s3://lake-${tenant}`,
    source: `mysql://app-${tenant}:3306`,
  };
  const events: Record<string, unknown>[] = [];
  const emit = (producer: string, e: Record<string, unknown>) => events.push({ producer, schemaURL: SCHEMA_URL, ...e });
  const ds = (namespace: string, name: string, facets: Record<string, unknown> = {}) => ({ namespace, name, facets });
  const at = (day: string, hh: number, mm: number) => `${day}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`;
  const run = (runId: string, facets: Record<string, unknown> = {}) => ({ runId, facets });
  const parent = (runId: string, namespace: string, name: string) => ({ parent: { ...FACET('ParentRunFacet'), run: { runId }, job: { namespace, name } } });

  const clicks = ds(ns.source, 'app.clicks', { ...schema(field('user_id', 'bigint'), field('ad_id', 'bigint'), field('event_time', 'timestamp')) });
  const rawClicks = (facets = {}) => ds(ns.raw, 'clicks', { ...dataSource(ns.raw), ...facets });
  const staging = (facets = {}) => ds(ns.warehouse, 'analytics.staging.clicks', facets);
  const stg = (facets = {}) => ds(ns.warehouse, 'analytics.public.stg_clicks', facets);
  const daily = (facets = {}) => ds(ns.warehouse, 'analytics.public.daily_ctr', facets);
  const features = (facets = {}) => ds(ns.lake, 'features/ctr', facets);

  for (let d = 1; d <= options.days; d += 1) {
    const day = `2026-11-${String(d).padStart(2, '0')}`;
    const nominal = { nominalTime: { ...FACET('NominalTimeRunFacet'), nominalStartTime: `${day}T00:00:00Z`, nominalEndTime: `${day}T23:59:59Z` } };
    // Airflow: a DAG run and its task runs.
    const dag = uuid(`dag ${day}`);
    const dagJob = { namespace: ns.airflow, name: 'ingest_clicks' };
    const airflowRun = (task: string) => ({ airflow: { dag: { dag_id: 'ingest_clicks' }, task: { task_id: task, operator_class: 'PythonOperator' } } });
    emit(PRODUCERS.airflow, { eventType: 'START', eventTime: at(day, 1, 0), run: run(dag, { ...nominal }), job: dagJob, inputs: [], outputs: [] });
    const extract = uuid(`extract ${day}`);
    const task = (name: string) => ({
      namespace: ns.airflow,
      name: `ingest_clicks.${name}`,
      facets: {
        sourceCodeLocation: {
          ...FACET('SourceCodeLocationJobFacet'),
          type: 'git',
          url: 'https://github.com/acme/dags',
          repoUrl: 'https://github.com/acme/dags.git',
          path: 'dags/ingest_clicks.py',
          version: d <= 2 ? '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d' : '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
        },
        jobType: { ...FACET('JobTypeJobFacet'), processingType: 'BATCH', integration: 'AIRFLOW', jobType: 'TASK' },
      },
    });
    const taskFacets = (name: string) => ({ ...parent(dag, ns.airflow, 'ingest_clicks'), ...nominal, ...airflowRun(name) });
    emit(PRODUCERS.airflow, {
      eventType: 'START',
      eventTime: at(day, 1, 1),
      run: run(extract, taskFacets('extract')),
      job: task('extract'),
      inputs: [clicks],
      outputs: [rawClicks()],
    });
    emit(PRODUCERS.airflow, {
      eventType: 'RUNNING',
      eventTime: at(day, 1, 3),
      run: run(extract, taskFacets('extract')),
      job: task('extract'),
      inputs: [clicks],
      outputs: [rawClicks()],
    });
    emit(PRODUCERS.airflow, {
      eventType: 'COMPLETE',
      eventTime: at(day, 1, 5),
      run: run(extract, taskFacets('extract')),
      job: task('extract'),
      inputs: [clicks],
      outputs: [rawClicks(schema(field('user_id', 'bigint'), field('ad_id', 'bigint'), field('event_time', 'timestamp')))],
    });
    // Day 2's load fails once and is retried by Airflow as a new run.
    const loads = d === 2 ? [uuid(`load ${day} try 1`), uuid(`load ${day} try 2`)] : [uuid(`load ${day}`)];
    loads.forEach((load, attempt) => {
      const start = 6 + attempt * 10;
      emit(PRODUCERS.airflow, {
        eventType: 'START',
        eventTime: at(day, 1, start),
        run: run(load, taskFacets('load')),
        job: task('load'),
        inputs: [rawClicks()],
        outputs: [staging()],
      });
      const failed = attempt < loads.length - 1;
      emit(PRODUCERS.airflow, {
        eventType: failed ? 'FAIL' : 'COMPLETE',
        eventTime: at(day, 1, start + 4),
        run: run(load, {
          ...taskFacets('load'),
          ...(failed ? { errorMessage: { ...FACET('ErrorMessageRunFacet'), message: 'connection reset by peer', programmingLanguage: 'python' } } : {}),
        }),
        job: task('load'),
        inputs: [rawClicks()],
        outputs: [staging(failed ? {} : schema(field('user_id', 'bigint'), field('ad_id', 'bigint'), field('event_time', 'timestamp')))],
      });
    });
    emit(PRODUCERS.airflow, { eventType: 'COMPLETE', eventTime: at(day, 1, 30), run: run(dag, { ...nominal }), job: dagJob, inputs: [], outputs: [] });

    // dbt: an invocation (the parent) and two models, each with its SQL and column lineage.
    const invocation = uuid(`dbt ${day}`);
    const dbtJob = { namespace: ns.dbt, name: 'analytics.build' };
    emit(PRODUCERS.dbt, { eventType: 'START', eventTime: at(day, 2, 0), run: run(invocation), job: dbtJob, inputs: [], outputs: [] });
    const dbtRun = {
      ...parent(invocation, ns.dbt, 'analytics.build'),
      dbt_version: { version: '1.8.2' },
      processing_engine: { name: 'dbt', version: '1.8.2' },
    };
    const model = (name: string, sql: string) => ({
      namespace: ns.dbt,
      name: `analytics.${name}`,
      facets: {
        sql: { ...FACET('SQLJobFacet'), query: sql, dialect: 'postgres' },
        jobType: { ...FACET('JobTypeJobFacet'), processingType: 'BATCH', integration: 'DBT', jobType: 'MODEL' },
      },
    });
    const stgModel = model('stg_clicks', 'select user_id, ad_id, event_time as ts from analytics.staging.clicks where user_id is not null');
    const stgRun = uuid(`stg_clicks ${day}`);
    emit(PRODUCERS.dbt, { eventType: 'START', eventTime: at(day, 2, 1), run: run(stgRun, dbtRun), job: stgModel, inputs: [staging()], outputs: [stg()] });
    emit(PRODUCERS.dbt, {
      eventType: 'COMPLETE',
      eventTime: at(day, 2, 2),
      run: run(stgRun, dbtRun),
      job: stgModel,
      inputs: [staging()],
      outputs: [
        stg({
          ...schema(field('user_id', 'bigint'), field('ad_id', 'bigint'), field('ts', 'timestamp')),
          ...columnLineage({
            user_id: [{ namespace: ns.warehouse, name: 'analytics.staging.clicks', field: 'user_id' }],
            ad_id: [{ namespace: ns.warehouse, name: 'analytics.staging.clicks', field: 'ad_id' }],
            ts: [{ namespace: ns.warehouse, name: 'analytics.staging.clicks', field: 'event_time' }],
          }),
        }),
      ],
    });
    const dailyModel = model('daily_ctr', "select ad_id, date_trunc('day', ts) as day, count(*) as clicks from analytics.public.stg_clicks group by 1, 2");
    const dailyRun = uuid(`daily_ctr ${day}`);
    emit(PRODUCERS.dbt, { eventType: 'START', eventTime: at(day, 2, 3), run: run(dailyRun, dbtRun), job: dailyModel, inputs: [stg()], outputs: [daily()] });
    emit(PRODUCERS.dbt, {
      eventType: 'COMPLETE',
      eventTime: at(day, 2, 5),
      run: run(dailyRun, dbtRun),
      job: dailyModel,
      inputs: [stg()],
      outputs: [
        daily({
          ...schema(field('ad_id', 'bigint'), field('day', 'date'), field('clicks', 'bigint')),
          ...columnLineage({
            ad_id: [{ namespace: ns.warehouse, name: 'analytics.public.stg_clicks', field: 'ad_id' }],
            day: [{ namespace: ns.warehouse, name: 'analytics.public.stg_clicks', field: 'ts', subtype: 'TRANSFORMATION' }],
            clicks: [{ namespace: ns.warehouse, name: 'analytics.public.stg_clicks', field: 'user_id', subtype: 'AGGREGATION' }],
          }),
        }),
      ],
    });
    emit(PRODUCERS.dbt, { eventType: 'COMPLETE', eventTime: at(day, 2, 6), run: run(invocation), job: dbtJob, inputs: [], outputs: [] });

    // Spark: an application run and the job run under it, writing a Delta table (its version facet).
    const app = uuid(`spark app ${day}`);
    const appJob = {
      namespace: ns.spark,
      name: 'ctr_features',
      facets: { jobType: { ...FACET('JobTypeJobFacet'), processingType: 'BATCH', integration: 'SPARK', jobType: 'APPLICATION' } },
    };
    const sparkRun = {
      spark_version: { 'spark-version': '3.5.1', 'openlineage-spark-version': '1.30.0' },
      processing_engine: { name: 'spark', version: '3.5.1' },
    };
    emit(PRODUCERS.spark, { eventType: 'START', eventTime: at(day, 3, 0), run: run(app, sparkRun), job: appJob, inputs: [], outputs: [] });
    const sparkJob = uuid(`spark job ${day}`);
    const writeJob = {
      namespace: ns.spark,
      name: 'ctr_features.save_into_data_source_command.features_ctr',
      facets: { jobType: { ...FACET('JobTypeJobFacet'), processingType: 'BATCH', integration: 'SPARK', jobType: 'SQL_JOB' } },
    };
    const jobRun = { ...parent(app, ns.spark, 'ctr_features'), ...sparkRun };
    emit(PRODUCERS.spark, {
      eventType: 'START',
      eventTime: at(day, 3, 1),
      run: run(sparkJob, jobRun),
      job: writeJob,
      inputs: [daily()],
      outputs: [features()],
    });
    emit(PRODUCERS.spark, {
      eventType: 'COMPLETE',
      eventTime: at(day, 3, 10),
      run: run(sparkJob, jobRun),
      job: writeJob,
      inputs: [daily()],
      outputs: [
        features({
          ...schema(field('ad_id', 'long'), field('ctr_7d', 'double')),
          version: { ...FACET('DatasetVersionDatasetFacet'), datasetVersion: String(d - 1) },
          storage: { ...FACET('StorageDatasetFacet'), storageLayer: 'delta', fileFormat: 'parquet' },
          symlinks: { ...FACET('SymlinksDatasetFacet'), identifiers: [{ namespace: `hive://metastore-${tenant}:9083`, name: 'features.ctr', type: 'TABLE' }] },
          ...columnLineage({
            ad_id: [{ namespace: ns.warehouse, name: 'analytics.public.daily_ctr', field: 'ad_id' }],
            ctr_7d: [
              { namespace: ns.warehouse, name: 'analytics.public.daily_ctr', field: 'clicks', subtype: 'AGGREGATION' },
              { namespace: ns.warehouse, name: 'analytics.public.daily_ctr', field: 'day', type: 'INDIRECT', subtype: 'WINDOW' },
            ],
          }),
        }),
      ],
    });
    emit(PRODUCERS.spark, { eventType: 'COMPLETE', eventTime: at(day, 3, 11), run: run(app, sparkRun), job: appJob, inputs: [], outputs: [] });
  }
  // Static lineage of a job that has not run yet (a JobEvent), and a dataset documented on its own (a DatasetEvent).
  emit(PRODUCERS.dbt, {
    eventTime: '2026-11-01T00:00:00.000Z',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/JobEvent',
    job: { namespace: ns.dbt, name: 'analytics.ctr_report', facets: { sql: { ...FACET('SQLJobFacet'), query: 'select * from analytics.public.daily_ctr' } } },
    inputs: [daily()],
    outputs: [ds(ns.warehouse, 'analytics.public.ctr_report')],
  });
  emit(PRODUCERS.spark, {
    eventTime: '2026-11-01T00:00:00.000Z',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/DatasetEvent',
    dataset: features({ documentation: { ...FACET('DocumentationDatasetFacet'), description: 'Click-through rate features per ad, 7-day window' } }),
  });
  return { events, tenant, runLabels, namespaces: ns };
}

/** Events in the order they happened (event time; ties keep the order they were generated in). */
export function inOrder(events: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => String(a.e.eventTime).localeCompare(String(b.e.eventTime)) || a.i - b.i)
    .map((x) => x.e);
}

/** Text with the stream's tenant and run ids replaced by what they stand for, so two streams of one seed compare equal. */
export function normalise<T>(value: T, stream: EventStream): T {
  let text = JSON.stringify(value).replaceAll(stream.tenant, '<tenant>');
  for (const [id, label] of stream.runLabels) text = text.replaceAll(id, `<${label}>`);
  return JSON.parse(text) as T;
}

// Training inputs' sources as OpenLineage dataset names (namespace, name, version), by the naming rules.
import { describe, expect, it } from 'vitest';
import { openLineageRefOf } from '../../src/modules/datasets/source-uri.js';

describe('a source as an OpenLineage dataset', () => {
  it.each([
    ['s3://raw/clicks', { namespace: 's3://raw', name: 'clicks', version: null }],
    ['s3a://lake/warehouse/db/events/', { namespace: 's3a://lake', name: 'warehouse/db/events/', version: null }],
    ['gs://bucket/a/b.parquet', { namespace: 'gs://bucket', name: 'a/b.parquet', version: null }],
    ['abfss://c@acct.dfs.core.windows.net/x/y', { namespace: 'abfss://c@acct.dfs.core.windows.net', name: 'x/y', version: null }],
    ['hdfs://nn:8020/user/hive/t', { namespace: 'hdfs://nn:8020', name: '/user/hive/t', version: null }],
    ['file:///tmp/clicks.csv', { namespace: 'file', name: '/tmp/clicks.csv', version: null }],
    ['/tmp/clicks.csv', { namespace: 'file', name: '/tmp/clicks.csv', version: null }],
    ['postgres://db:5432/analytics/public/orders', { namespace: 'postgres://db:5432', name: 'analytics.public.orders', version: null }],
    // Iceberg snapshots and Delta versions become the version read.
    ['s3://lake/warehouse/db/t?snapshot-id=8327445226912', { namespace: 's3://lake', name: 'warehouse/db/t', version: '8327445226912' }],
    ['s3://lake/delta/events@v12', { namespace: 's3://lake', name: 'delta/events', version: '12' }],
    ['s3://lake/delta/events?versionAsOf=3', { namespace: 's3://lake', name: 'delta/events', version: '3' }],
    ['{"path": "s3://lake/delta/events", "delta_table_version": 7}', { namespace: 's3://lake', name: 'delta/events', version: '7' }],
    ['{"uri": "s3://raw/clicks"}', { namespace: 's3://raw', name: 'clicks', version: null }],
  ])('%s', (source, expected) => {
    expect(openLineageRefOf(source)).toEqual(expected);
  });

  it.each(['', 'mlflow-dataset-source:pandas', 'https://example.com/data.csv', 'runs:/abc/model', '{"delta_table_name": "db.t"}', 'not a uri', 's3://'])(
    'names none for %j',
    (source) => {
      expect(openLineageRefOf(source)).toBeNull();
    },
  );
});

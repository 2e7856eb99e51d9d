// Which OpenLineage dataset a training input's source names, by OpenLineage's naming rules: the
// namespace is the storage (s3://bucket, gs://bucket, hdfs://host:port, postgres://host:port,
// file), the name the path within it; a version named in the source (an Iceberg snapshot id, a
// Delta version) becomes the version read. A source may be a URI or MLflow's source JSON
// ({"uri": ...}, {"path": ..., "delta_table_version": 5}).

export interface OpenLineageRef {
  namespace: string;
  name: string;
  /** The version the source names; null: the version current when the run started. */
  version: string | null;
}

/** Object stores name datasets by bucket and key, without a leading slash. */
const OBJECT_STORES = new Set(['s3', 's3a', 's3n', 'gs', 'gcs', 'abfss', 'abfs', 'wasbs', 'wasb', 'oss', 'r2']);
const VERSION_PARAMS = ['snapshot-id', 'snapshot_id', 'snapshotId', 'versionAsOf', 'version', 'delta_version', 'delta_table_version'];

function parseJsonSource(text: string): { uri: string; version: string | null } | null {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    if (!parsed || typeof parsed !== 'object') return null;
    const uri = [parsed.uri, parsed.url, parsed.path].find((v): v is string => typeof v === 'string' && v.trim() !== '');
    if (!uri) return null;
    const v = parsed.delta_table_version ?? parsed.snapshot_id ?? parsed.version;
    return { uri: uri.trim(), version: typeof v === 'number' || (typeof v === 'string' && v.trim()) ? String(v).trim() : null };
  } catch {
    return null;
  }
}

/** The OpenLineage dataset a source names, or null when it names none (a local pandas frame, a table by name only). */
export function openLineageRefOf(source: string | null | undefined): OpenLineageRef | null {
  if (!source?.trim()) return null;
  const json = source.trim().startsWith('{') ? parseJsonSource(source.trim()) : null;
  const text = json?.uri ?? source.trim();
  let url: URL;
  try {
    url = new URL(text.startsWith('/') ? `file://${text}` : text);
  } catch {
    return null;
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme) || scheme === 'http' || scheme === 'https' || scheme.startsWith('mlflow') || scheme === 'runs' || scheme === 'models')
    return null;
  let version = json?.version ?? null;
  for (const p of VERSION_PARAMS) version ??= url.searchParams.get(p);
  let path = decodeURIComponent(url.pathname);
  // Delta's time travel by path (`table@v5`), an Iceberg snapshot by path (`table@1234`).
  const at = /@(?:v|snapshot=)?(\d+)$/.exec(path);
  if (at) {
    version ??= at[1]!;
    path = path.slice(0, at.index);
  }
  if (scheme === 'file') return path.length > 1 ? { namespace: 'file', name: path, version } : null;
  const authority = url.username ? `${url.username}@${url.host}` : url.host;
  if (!authority) return null;
  const name = OBJECT_STORES.has(scheme) ? path.replace(/^\/+/, '') : scheme === 'hdfs' ? path : path.replace(/^\/+/, '').replaceAll('/', '.');
  return name ? { namespace: `${scheme}://${authority}`, name, version } : null;
}

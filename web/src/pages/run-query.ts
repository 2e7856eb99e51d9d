// The run page's query, in the first bundle so the app can send it while the page's code is
// still loading (App prefetches it on the route): the page is one round trip from pixels.
import { VERSION_QUARANTINE } from '../components/ui';

/** The fields of a MetricSeries a chart needs (the run query selects them for every key). */
export const SERIES_FIELDS = 'key sampled bucketSteps steps values timestampsMs';

/** Selected by the run query, so the page knows its media in the same round trip. */
export const MEDIA_KEYS_FIELDS = 'mediaKeys { key kind count steps }';

/** Points per chart: about one and a half per pixel of a wide screen. */
export const chartPoints = () => Math.min(4000, Math.max(400, Math.round(window.innerWidth * 1.5)));

export const RUN_QUERY = `query Run($id: ID!, $max: Int) {
  run(id: $id) {
    id name status user seed group notes startedAt endedAt durationSeconds deletedAt clientRunId
    project { name }
    parent { id name }
    params { key value } tags { key value } environment
    codeVersion { repository commit branch dirty diff { downloadUrl sizeBytes } }
    inputs { role createdAt
      datasetVersion { id version digest rowCount coverageStart coverageEnd sourceUri quarantine { reason by at } dataset { name } }
      modelVersion { id version model { name } } }
    artifacts { id name kind sizeBytes digest downloadUrl mediaType }
    modelVersions { id version aliases model { name } ${VERSION_QUARANTINE} }
    metrics { key last lastStep lastTimestamp count min max }
    metricHistories(maxPoints: $max) { ${SERIES_FIELDS} }
    ${MEDIA_KEYS_FIELDS}
  }
}`;

export const runVariables = (id: string) => ({ id, max: chartPoints() });

// The run search every benchmark times (bench/run.ts, bench:scaling): one filter on a param, a
// metric and a tag, ordered by the metric, first page of 50; through GraphQL and as the
// hand-written SQL that answers the same question.
export const SEARCH_FILTER = "params.p00 = '0.001' and metrics.m01 > 0.5 and tags.t00 = 'recs'";

export const searchQuery = (project: string) =>
  `query($f: String) { runs(project: "${project}", filter: $f, orderBy: [{ field: "metrics.m01", direction: DESC }], first: 50) { edges { node { id name } } } }`;

/** $1 project id, $2 p00's value, $3 t00's value, $4 m01's key id, $5 the metric's bound. */
export const HAND_WRITTEN_SEARCH = `SELECT r.id, r.name FROM runs r
  JOIN params p ON p.run_id = r.id AND p.key = 'p00' AND p.value = $2
  JOIN tags t ON t.run_id = r.id AND t.key = 't00' AND t.value = $3
  JOIN metric_summaries ms ON ms.run_id = r.id AND ms.key_id = $4 AND ms.last_value > $5
  WHERE r.project_id = $1 AND r.deleted_at IS NULL
  ORDER BY ms.last_value DESC, r.id LIMIT 50`;

/** The hand-written query's arguments for a project and m01's key id. */
export const handWrittenArgs = (projectId: number, keyId: number) => [projectId, '0.001', 'recs', keyId, 0.5];

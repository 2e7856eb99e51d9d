// The GraphQL operations MLflow's own UI and clients send to POST /graphql (mlflowGetRun,
// mlflowSearchRuns, ...), as a schema of their own: MLflow's type and field names, its LongString
// scalar (int64 as text), its @component directive. runledger's GraphQL schema is a different
// API; graphql.ts routes a request here only when every root field of its operation is one of these.
import { buildSchema, GraphQLScalarType, type GraphQLSchema } from 'graphql';

/** The root fields served here: an operation made only of these is MLflow's. */
export const MLFLOW_GRAPHQL_ROOTS = {
  query: [
    'mlflowGetExperiment',
    'mlflowGetMetricHistoryBulkInterval',
    'mlflowGetRun',
    'mlflowListArtifacts',
    'mlflowSearchModelVersions',
    'mlflowSearchRuns',
    'test',
  ],
  mutation: ['mlflowSearchDatasets', 'mlflowSearchRuns', 'testMutation'],
} as const;

const SDL = /* GraphQL */ `
  directive @component(name: String!) on QUERY | MUTATION

  "An int64, as text so JavaScript keeps every digit."
  scalar LongString

  type Query {
    mlflowGetExperiment(input: MlflowGetExperimentInput): MlflowGetExperimentResponse
    mlflowGetMetricHistoryBulkInterval(input: MlflowGetMetricHistoryBulkIntervalInput): MlflowGetMetricHistoryBulkIntervalResponse
    mlflowGetRun(input: MlflowGetRunInput): MlflowGetRunResponse
    mlflowListArtifacts(input: MlflowListArtifactsInput): MlflowListArtifactsResponse
    mlflowSearchModelVersions(input: MlflowSearchModelVersionsInput): MlflowSearchModelVersionsResponse
    mlflowSearchRuns(input: MlflowSearchRunsInput): MlflowSearchRunsResponse
    "Echoes its input: MLflow's UI uses it to check the endpoint."
    test(inputString: String): Test
  }

  type Mutation {
    mlflowSearchDatasets(input: MlflowSearchDatasetsInput): MlflowSearchDatasetsResponse
    mlflowSearchRuns(input: MlflowSearchRunsInput): MlflowSearchRunsResponse
    testMutation(inputString: String): TestMutation
  }

  type Test { output: String }
  type TestMutation { output: String }

  type ApiError { code: String message: String helpUrl: String traceId: String errorDetails: [ErrorDetail] }
  type ErrorDetail { field: String message: String }

  input MlflowGetExperimentInput { experimentId: String }
  type MlflowGetExperimentResponse { experiment: MlflowExperiment apiError: ApiError }
  type MlflowExperiment {
    experimentId: String name: String artifactLocation: String lifecycleStage: String
    lastUpdateTime: LongString creationTime: LongString tags: [MlflowExperimentTag!]
  }
  type MlflowExperimentTag { key: String value: String }

  input MlflowGetMetricHistoryBulkIntervalInput { runIds: [String] metricKey: String startStep: Int endStep: Int maxResults: Int }
  type MlflowGetMetricHistoryBulkIntervalResponse { metrics: [MlflowMetricWithRunId!] apiError: ApiError }
  type MlflowMetricWithRunId { key: String value: Float timestamp: LongString step: LongString runId: String }

  input MlflowGetRunInput { runId: String runUuid: String }
  type MlflowGetRunResponse { run: MlflowRunExtension apiError: ApiError }
  type MlflowRunExtension {
    info: MlflowRunInfo data: MlflowRunData inputs: MlflowRunInputs outputs: MlflowRunOutputs
    experiment: MlflowExperiment modelVersions: [MlflowModelVersion!]
  }
  enum MlflowRunStatus { RUNNING SCHEDULED FINISHED FAILED KILLED }
  type MlflowRunInfo {
    runId: String runUuid: String runName: String experimentId: String userId: String status: MlflowRunStatus
    startTime: LongString endTime: LongString artifactUri: String lifecycleStage: String
  }
  type MlflowRunData { metrics: [MlflowMetricExtension!] params: [MlflowParam!] tags: [MlflowRunTag!] }
  "NaN and infinite values read as null: a GraphQL Float holds neither."
  type MlflowMetricExtension {
    key: String value: Float timestamp: LongString step: LongString
    datasetName: String datasetDigest: String modelId: String runId: String
  }
  type MlflowParam { key: String value: String }
  type MlflowRunTag { key: String value: String }
  type MlflowRunInputs { datasetInputs: [MlflowDatasetInput!] modelInputs: [MlflowModelInput!] }
  type MlflowDatasetInput { tags: [MlflowInputTag!] dataset: MlflowDataset }
  type MlflowInputTag { key: String value: String }
  type MlflowDataset { name: String digest: String sourceType: String source: String schema: String profile: String }
  type MlflowModelInput { modelId: String }
  type MlflowRunOutputs { modelOutputs: [MlflowModelOutput!] }
  type MlflowModelOutput { modelId: String step: LongString }

  enum MlflowModelVersionStatus { PENDING_REGISTRATION FAILED_REGISTRATION READY }
  type MlflowModelVersion {
    name: String version: String creationTimestamp: LongString lastUpdatedTimestamp: LongString userId: String
    currentStage: String description: String source: String runId: String status: MlflowModelVersionStatus
    statusMessage: String tags: [MlflowModelVersionTag!] runLink: String aliases: [String] modelId: String
  }
  type MlflowModelVersionTag { key: String value: String }

  input MlflowListArtifactsInput { runId: String runUuid: String path: String pageToken: String }
  type MlflowListArtifactsResponse { rootUri: String files: [MlflowFileInfo!] nextPageToken: String apiError: ApiError }
  type MlflowFileInfo { path: String isDir: Boolean fileSize: LongString }

  input MlflowSearchModelVersionsInput { filter: String maxResults: LongString orderBy: [String] pageToken: String }
  type MlflowSearchModelVersionsResponse { modelVersions: [MlflowModelVersion!] nextPageToken: String apiError: ApiError }

  enum MlflowViewType { ACTIVE_ONLY DELETED_ONLY ALL }
  input MlflowSearchRunsInput { experimentIds: [String] filter: String runViewType: MlflowViewType maxResults: Int orderBy: [String] pageToken: String }
  type MlflowSearchRunsResponse { runs: [MlflowRunExtension!] nextPageToken: String apiError: ApiError }

  input MlflowSearchDatasetsInput { experimentIds: [String] }
  type MlflowSearchDatasetsResponse { datasetSummaries: [MlflowDatasetSummary!] apiError: ApiError }
  type MlflowDatasetSummary { experimentId: String name: String digest: String context: String }
`;

/** int64 as text: what is absent reads as "0", as MLflow's protobuf defaults make it. */
const longString = new GraphQLScalarType({
  name: 'LongString',
  serialize: (value) => String(value ?? 0),
  parseValue: (value) => Number(value),
  parseLiteral: (node) => ('value' in node ? Number(node.value) : null),
});

let built: GraphQLSchema | null = null;

export function mlflowGraphQLSchema(): GraphQLSchema {
  if (built) return built;
  const schema = buildSchema(SDL);
  // buildSchema makes a scalar that passes values through; MLflow's writes int64 as text.
  Object.assign(schema.getType('LongString') as GraphQLScalarType, {
    serialize: longString.serialize,
    parseValue: longString.parseValue,
    parseLiteral: longString.parseLiteral,
  });
  built = schema;
  return schema;
}

// Typed operations checked against schema/schema.graphql: the tests' (test/operations/*.graphql ->
// test/generated/graphql.ts) and the dashboard's (web/src/operations/*.graphql ->
// web/src/generated/graphql.ts). An operation that does not match the schema fails the run.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config = {
  scalars: { DateTime: 'string', JSON: 'unknown', MetricValue: 'number | string', SafeInt: 'number', ID: 'string' },
  enumsAsTypes: true,
  avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
  useTypeImports: true,
};

const codegen: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'test/generated/graphql.ts': {
      documents: ['test/operations/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config,
    },
    // The dashboard sends operations as text (no graphql-js in its bundle): string mode makes each
    // document a typed String, its result and variable types carried alongside.
    'web/src/generated/graphql.ts': {
      documents: ['web/src/operations/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { ...config, documentMode: 'string' },
    },
  },
  errorsOnly: true,
};

export default codegen;

// Imported first by the process entries (server, benchmarks): graphql-js reads NODE_ENV once,
// when it loads, and unless it is "production" it runs a development check (for two copies of
// graphql in one process) on every instanceof it does while executing: about 8% of the CPU of
// a 25,000-point metricHistory page in a profile. An operator's own NODE_ENV is kept; tests
// (vitest sets "test") keep the checks.
process.env.NODE_ENV ??= 'production';

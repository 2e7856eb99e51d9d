// Configuration rules that protect deployments: anonymous access only on loopback.
import { describe, expect, it } from 'vitest';
import { ConfigError, isLoopbackHost, loadConfig } from '../../src/config.js';

describe('authentication configuration', () => {
  it('defaults to auth off on loopback, so npm start just works', () => {
    expect(loadConfig({}).auth).toBe('off');
    expect(loadConfig({ HOST: '::1' }).auth).toBe('off');
    expect(loadConfig({ HOST: 'localhost' }).auth).toBe('off');
  });

  it('defaults to auth on for any other bind', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).auth).toBe('on');
    expect(loadConfig({ HOST: '10.1.2.3' }).auth).toBe('on');
  });

  it('refuses RUNLEDGER_AUTH=off on a non-loopback bind, naming the variable', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0', RUNLEDGER_AUTH: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '0.0.0.0', RUNLEDGER_AUTH: 'off' })).toThrow(/RUNLEDGER_AUTH.*loopback/);
    expect(loadConfig({ HOST: '127.0.0.1', RUNLEDGER_AUTH: 'on' }).auth).toBe('on');
  });

  it('knows what loopback is', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe('HTTP connection timeouts', () => {
  it('keeps idle connections 65 s by default (past load balancers’ 60 s), headers timeout above it', () => {
    expect(loadConfig({}).http).toEqual({ keepAliveTimeoutMs: 65_000, headersTimeoutMs: 66_000 });
    expect(loadConfig({ RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: '1000', RUNLEDGER_HEADERS_TIMEOUT_MS: '2000' }).http).toEqual({
      keepAliveTimeoutMs: 1000,
      headersTimeoutMs: 2000,
    });
  });

  it('refuses a headers timeout that does not exceed the keep-alive timeout, naming both', () => {
    expect(() => loadConfig({ RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: '70000' })).toThrow(/RUNLEDGER_HEADERS_TIMEOUT_MS.*RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS/);
    expect(() => loadConfig({ RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: 'soon' })).toThrow(/RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS/);
  });
});

describe('artifact store configuration', () => {
  it('keeps artifacts in the local directory by default', () => {
    const config = loadConfig({});
    expect(config.artifacts.store).toEqual({ kind: 'fs' });
    expect(config.artifacts.direct).toBe(false);
  });

  it('reads s3://bucket/prefix, the endpoint, region and credentials from the standard variables', () => {
    const store = loadConfig({
      RUNLEDGER_ARTIFACT_STORE: 's3://ml-artifacts/team/a/',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9000',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'id',
      AWS_SECRET_ACCESS_KEY: 'secret',
    }).artifacts.store;
    expect(store).toMatchObject({
      kind: 's3',
      bucket: 'ml-artifacts',
      prefix: 'team/a/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(store.kind === 's3' && store.credentials).toEqual({ accessKeyId: 'id', secretAccessKey: 'secret' });
  });

  it('prefers RUNLEDGER_S3_ENDPOINT, then AWS_ENDPOINT_URL_S3; on AWS itself (no endpoint) virtual-host style and the SDK credential chain', () => {
    const both = { RUNLEDGER_ARTIFACT_STORE: 's3://bkt', AWS_ENDPOINT_URL_S3: 'https://s3.example', AWS_ENDPOINT_URL: 'https://other.example' };
    expect(loadConfig(both).artifacts.store).toMatchObject({ endpoint: 'https://s3.example', prefix: '' });
    expect(loadConfig({ ...both, RUNLEDGER_S3_ENDPOINT: 'http://mine:1' }).artifacts.store).toMatchObject({ endpoint: 'http://mine:1' });
    expect(loadConfig({ RUNLEDGER_ARTIFACT_STORE: 's3://bkt' }).artifacts.store).toMatchObject({
      endpoint: null,
      forcePathStyle: false,
      credentials: null,
      region: 'us-east-1',
    });
  });

  it('names every wrong variable', () => {
    expect(() => loadConfig({ RUNLEDGER_ARTIFACT_STORE: 'gs://x' })).toThrow(/RUNLEDGER_ARTIFACT_STORE: must be s3:\/\/bucket/);
    expect(() => loadConfig({ RUNLEDGER_ARTIFACT_STORE: 's3://b' })).toThrow(/RUNLEDGER_ARTIFACT_STORE/);
    expect(() => loadConfig({ RUNLEDGER_S3_ENDPOINT: 'ftp://x' })).toThrow(/RUNLEDGER_S3_ENDPOINT: must be an http/);
    expect(() => loadConfig({ RUNLEDGER_ARTIFACT_STORE: 's3://bkt', AWS_ACCESS_KEY_ID: 'id' })).toThrow(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both/);
    expect(() => loadConfig({ RUNLEDGER_ARTIFACT_DIRECT: 'on' })).toThrow(/RUNLEDGER_ARTIFACT_DIRECT.*s3:/);
    expect(() => loadConfig({ RUNLEDGER_S3_PART_BYTES: '1000' })).toThrow(/RUNLEDGER_S3_PART_BYTES/);
  });
});

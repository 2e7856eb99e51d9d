// The S3-compatible store for tests: the shared one `scripts/services up` started (TEST_S3_*
// variables, as .ci/run exports them), with a key prefix of each test's own, or a private
// S3Proxy (tools/s3proxy/start) on a free port that a fault test may kill and start again.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/modules/artifacts/store-s3.js';
import { uniqueName } from './server.js';
import { deadPort } from './tcp-proxy.js';

const run = promisify(execFile);
const launcher = path.resolve(import.meta.dirname, '../../tools/s3proxy/start');

export interface TestS3 {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Why the S3 suites cannot run here, or null when TEST_S3_ENDPOINT and the rest are set. */
export const s3SkipReason: string | null = process.env.TEST_S3_ENDPOINT
  ? null
  : 'TEST_S3_ENDPOINT is not set: `eval "$(scripts/services up s3)"` starts S3Proxy and exports TEST_S3_ENDPOINT, TEST_S3_BUCKET and credentials (as .ci/run does)';

export function testS3(): TestS3 | null {
  const env = process.env;
  if (!env.TEST_S3_ENDPOINT) return null;
  return {
    endpoint: env.TEST_S3_ENDPOINT,
    bucket: env.TEST_S3_BUCKET ?? 'runledger-test',
    region: env.TEST_S3_REGION ?? 'us-east-1',
    accessKeyId: env.TEST_S3_ACCESS_KEY_ID ?? 'runledger',
    secretAccessKey: env.TEST_S3_SECRET_ACCESS_KEY ?? 'runledger-dev-secret',
  };
}

/** Server variables that put artifacts in this S3 under a prefix no other test uses. */
export function s3ServerEnv(s3: TestS3, name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RUNLEDGER_ARTIFACT_STORE: `s3://${s3.bucket}/${uniqueName(name)}`,
    RUNLEDGER_S3_ENDPOINT: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    ...extra,
  };
}

export function s3Client(s3: TestS3, maxAttempts = 3): S3Client {
  return createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    maxAttempts,
  });
}

/** Every key under a prefix. */
export async function keysUnder(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Deletes every object under a prefix: tests clean up after themselves in the shared store. */
export async function removePrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  for (let keys = await keysUnder(client, bucket, prefix); keys.length > 0; keys = await keysUnder(client, bucket, prefix)) {
    for (let i = 0; i < keys.length; i += 1000) {
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
    }
  }
}

/** The prefix s3ServerEnv chose, with its trailing slash. */
export function prefixOf(env: Record<string, string>): string {
  return `${(env.RUNLEDGER_ARTIFACT_STORE ?? '').split('/').slice(3).join('/')}/`;
}

export interface OwnS3 extends TestS3 {
  pid: number;
  /** Starts it (again, on the same port and data); resolves once it answers. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, as when the machine or the JVM dies. */
  kill9(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

/** Why a private S3Proxy cannot be started here (no Java or Maven), or null. */
export async function ownS3UnavailableReason(): Promise<string | null> {
  try {
    await run('java', ['-version']);
    await run('mvn', ['-v']);
    return null;
  } catch {
    return 'java or mvn is not installed (scripts/services up s3 installs them)';
  }
}

export async function ownS3(bucket = 'runledger-own'): Promise<OwnS3> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'runledger-s3-'));
  const port = await deadPort();
  const accessKeyId = 'own';
  const secretAccessKey = 'own-secret-key';
  const env = { ...process.env, S3_ACCESS_KEY: accessKeyId, S3_SECRET_KEY: secretAccessKey, S3_BUCKETS: bucket };
  const alive = () => {
    try {
      process.kill(self.pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const self: OwnS3 = {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    pid: 0,
    async start() {
      const { stdout } = await run(launcher, [home, `127.0.0.1:${port}`], { env, timeout: 300_000 });
      self.pid = Number(stdout.trim().split('\n').at(-1));
    },
    async kill9() {
      process.kill(self.pid, 'SIGKILL');
      for (let i = 0; i < 200 && alive(); i += 1) await new Promise((r) => setTimeout(r, 50));
    },
    async dispose() {
      if (self.pid && alive()) {
        process.kill(self.pid, 'SIGTERM');
        for (let i = 0; i < 200 && alive(); i += 1) await new Promise((r) => setTimeout(r, 50));
        if (alive()) process.kill(self.pid, 'SIGKILL');
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  return self;
}

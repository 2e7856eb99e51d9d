// `npm run bench:artifacts`: artifact upload and download throughput at 1 MB, 100 MB and 1 GB,
// on the local store and on S3 (proxied through the server, and direct with presigned URLs),
// and through a resumable upload session (64 MiB chunks, on either store), with the server
// process's peak RSS during each transfer. Every mode runs in the same invocation, so their
// ratios are comparable even on a busy machine.
//   eval "$(scripts/services up s3)"; npm run bench:artifacts
//   BENCH_ARTIFACT_SIZES=1,100,1024 (MiB)   BENCH_ARTIFACT_MODES=fs,s3,s3-direct,fs-session,s3-session
//   a 5 GiB file with flat RSS: BENCH_ARTIFACT_SIZES=5120 BENCH_ARTIFACT_MODES=fs,fs-session,s3-session
//   BENCH_DATABASE_URL=postgresql://...   (default: the embedded PGlite, whose memory then counts in the RSS)
// S3: TEST_S3_ENDPOINT / TEST_S3_BUCKET / TEST_S3_ACCESS_KEY_ID / TEST_S3_SECRET_ACCESS_KEY (what
// scripts/services prints); each run writes under its own prefix and deletes it afterwards.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client } from '../src/modules/artifacts/store-s3.js';
import { fmt, writeResults } from './lib/report.js';
import { type BenchServer, startBenchServer, withPeakRss } from './lib/server-process.js';

const MIB = 1024 * 1024;
const sizes = (process.env.BENCH_ARTIFACT_SIZES ?? '1,100,1024').split(',').map((s) => Number(s) * MIB);
const modes = (process.env.BENCH_ARTIFACT_MODES ?? 'fs,s3,s3-direct,fs-session,s3-session').split(',') as Mode[];
type Mode = 'fs' | 's3' | 's3-direct' | 'fs-session' | 's3-session';
/** The chunk a session client sends per request (the server's default limit). */
const CHUNK = 64 * MIB;
const s3 = {
  endpoint: process.env.TEST_S3_ENDPOINT ?? 'http://127.0.0.1:9767',
  bucket: process.env.TEST_S3_BUCKET ?? 'runledger-test',
  accessKeyId: process.env.TEST_S3_ACCESS_KEY_ID ?? 'runledger',
  secretAccessKey: process.env.TEST_S3_SECRET_ACCESS_KEY ?? 'runledger-dev-secret',
  region: process.env.TEST_S3_REGION ?? 'us-east-1',
};
const prefix = `bench-artifacts-${randomUUID().slice(0, 8)}`;

const block = randomBytes(MIB);
/** The file: 1 MiB blocks, each stamped with its number (see slice). */
const chunksOf = (size: number) => slice(0, size);
/** Bytes [from, from + length) of the file (from a multiple of 1 MiB), produced as they are sent. */
function* slice(from: number, length: number): Generator<Buffer> {
  for (let sent = 0, n = from / MIB; sent < length; n += 1) {
    const chunk = Buffer.from(block.subarray(0, Math.min(MIB, length - sent)));
    chunk.writeUInt32BE(n, 0);
    sent += chunk.length;
    yield chunk;
  }
}
function digestOf(size: number): string {
  const hash = createHash('sha256');
  for (const chunk of chunksOf(size)) hash.update(chunk);
  return hash.digest('hex');
}

/** Sends the file with backpressure (never whole in memory here either); resolves with the answer's body. */
function send(url: string, method: string, size: number, headers: Record<string, string>, from = 0): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-length': String(size), ...headers } }, async (res) => {
      let body = '';
      for await (const c of res) body += c;
      resolve({ status: res.statusCode ?? 0, body });
    });
    req.on('error', reject);
    const chunks = slice(from, size);
    const pump = () => {
      for (let next = chunks.next(); !next.done; next = chunks.next()) if (!req.write(next.value)) return void req.once('drain', pump);
      req.end();
    };
    pump();
  });
}

function receive(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, async (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode}`));
        let n = 0;
        for await (const c of res) n += (c as Buffer).length;
        resolve(n);
      })
      .on('error', reject);
  });
}

async function gql<T>(server: BenchServer, query: string, variables: unknown): Promise<T> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data: T; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data;
}

/** A resumable upload session: open, one PUT per 64 MiB chunk from its offset, complete; answers the download path. */
async function uploadInSession(server: BenchServer, runId: string, name: string, size: number, sha256: string): Promise<string> {
  const opened = await fetch(`${server.url}/artifacts/runs/${encodeURIComponent(runId)}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, sizeBytes: size, sha256 }),
  });
  const session = (await opened.json()) as { uploadId: string; chunkMaxBytes: number };
  if (opened.status !== 201) throw new Error(`open session: ${opened.status} ${JSON.stringify(session)}`);
  const url = `${server.url}/artifacts/uploads/${session.uploadId}`;
  for (let offset = 0; offset < size; offset += CHUNK) {
    const put = await send(url, 'PUT', Math.min(CHUNK, size - offset), { 'upload-offset': String(offset) }, offset);
    if (put.status !== 200) throw new Error(`chunk at ${offset}: ${put.status} ${put.body.slice(0, 300)}`);
  }
  const done = await fetch(`${url}/complete`, { method: 'POST' });
  const body = (await done.json()) as { artifact: { downloadUrl: string } };
  if (done.status !== 201) throw new Error(`complete: ${done.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.artifact.downloadUrl;
}

interface Measured {
  mode: Mode;
  sizeMiB: number;
  uploadMiBps: number;
  downloadMiBps: number;
  baselineRssMiB: number;
  uploadPeakRssMiB: number;
  downloadPeakRssMiB: number;
}

async function measure(mode: Mode, server: BenchServer, runId: string, size: number): Promise<Measured> {
  const sha256 = digestOf(size);
  const name = `${mode}-${size}-${randomUUID().slice(0, 6)}.bin`;
  const baselineRssMiB = server.rssMiB();
  let downloadUrl = '';
  const up = await withPeakRss(server, async () => {
    const t0 = performance.now();
    if (mode === 's3-direct') {
      const { createArtifactUpload: u } = await gql<any>(
        server,
        'mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId url method headers { name value } } }',
        { i: { runId, name, sha256, sizeBytes: size } },
      );
      const headers = Object.fromEntries(u.headers.map((h: { name: string; value: string }) => [h.name, h.value]));
      const put = await send(u.url, u.method, size, headers);
      if (put.status !== 200) throw new Error(`presigned PUT: ${put.status} ${put.body.slice(0, 300)}`);
      const { completeArtifactUpload: done } = await gql<any>(
        server,
        'mutation($i: CompleteArtifactUploadInput!) { completeArtifactUpload(input: $i) { artifact { directDownloadUrl } } }',
        { i: { uploadId: u.uploadId } },
      );
      downloadUrl = done.artifact.directDownloadUrl;
    } else if (mode.endsWith('-session')) {
      downloadUrl = `${server.url}${await uploadInSession(server, runId, name, size, sha256)}`;
    } else {
      const put = await send(`${server.url}/artifacts/runs/${encodeURIComponent(runId)}?${new URLSearchParams({ name, sha256 })}`, 'PUT', size, {});
      if (put.status !== 201) throw new Error(`PUT: ${put.status} ${put.body.slice(0, 300)}`);
      downloadUrl = `${server.url}${JSON.parse(put.body).artifact.downloadUrl}`;
    }
    return performance.now() - t0;
  });
  const down = await withPeakRss(server, async () => {
    const t0 = performance.now();
    const n = await receive(downloadUrl);
    if (n !== size) throw new Error(`downloaded ${n} of ${size} bytes`);
    return performance.now() - t0;
  });
  return {
    mode,
    sizeMiB: size / MIB,
    uploadMiBps: size / MIB / (up.result / 1000),
    downloadMiBps: size / MIB / (down.result / 1000),
    baselineRssMiB,
    uploadPeakRssMiB: up.peakMiB,
    downloadPeakRssMiB: down.peakMiB,
  };
}

async function removePrefix(): Promise<void> {
  const client = createS3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    for (const o of page.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: o.Key! }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  client.destroy();
}

// The SDK warns once per process that its 2027 releases need Node 22; the figures do not care.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const results: Measured[] = [];
const load = os.loadavg()[0]!.toFixed(2);
try {
  for (const mode of modes) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'runledger-bench-artifacts-'));
    const maxBytes = Math.max(2 * 1024 * MIB, ...sizes);
    const env: Record<string, string> = { RUNLEDGER_DATA_DIR: dataDir, RUNLEDGER_MAX_ARTIFACT_BYTES: String(maxBytes) };
    // PostgreSQL when given, so the RSS is the server's own and not the embedded database's.
    if (process.env.BENCH_DATABASE_URL) env.DATABASE_URL = process.env.BENCH_DATABASE_URL;
    if (mode.startsWith('s3')) {
      Object.assign(env, {
        RUNLEDGER_ARTIFACT_STORE: `s3://${s3.bucket}/${prefix}`,
        RUNLEDGER_S3_ENDPOINT: s3.endpoint,
        AWS_REGION: s3.region,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        RUNLEDGER_ARTIFACT_DIRECT: mode === 's3-direct' ? 'on' : 'off',
      });
    }
    const server = await startBenchServer(env);
    try {
      await gql(server, 'mutation { createProject(input: { name: "bench" }) { project { id } } }', {});
      const { startRun } = await gql<any>(server, 'mutation { startRun(input: { project: "bench" }) { run { id } } }', {});
      await measure(mode, server, startRun.run.id, MIB); // warm-up: connections, JIT, first S3 calls
      for (const size of sizes) {
        const m = await measure(mode, server, startRun.run.id, size);
        results.push(m);
        console.log(
          `${mode.padEnd(10)} ${fmt(m.sizeMiB, 0).padStart(5)} MiB  up ${fmt(m.uploadMiBps).padStart(6)} MiB/s  down ${fmt(m.downloadMiBps).padStart(6)} MiB/s  server RSS ${fmt(m.baselineRssMiB, 0)} -> peak ${fmt(m.uploadPeakRssMiB, 0)} (up) / ${fmt(m.downloadPeakRssMiB, 0)} (down) MiB`,
        );
      }
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  if (modes.some((m) => m.startsWith('s3'))) await removePrefix();
}
const rerun = `${process.env.BENCH_DATABASE_URL ? `BENCH_DATABASE_URL=${process.env.BENCH_DATABASE_URL} ` : ''}BENCH_ARTIFACT_SIZES=${sizes.map((s) => s / MIB).join(',')} BENCH_ARTIFACT_MODES=${modes.join(',')} npm run bench:artifacts`;
console.log(`\nload average (1 min) at start: ${load} on ${os.cpus().length} cores; rerun: ${rerun}`);
await writeResults('artifacts', { rerun, machine: { cpus: os.cpus().length, loadAverage1m: Number(load), node: process.version }, results });

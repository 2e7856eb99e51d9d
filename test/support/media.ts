// Media for the tests: small real PNG images (drawn pixel by pixel, encoded with zlib) and
// uploads of media through the streaming route, as a client logging images, tables,
// histograms and console output would make them.
import { crc32, deflateSync } from 'node:zlib';
import { putArtifact, type PutResult } from './artifacts.js';

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
  return out;
}

/** An RGB PNG of the given size, each pixel's colour from `pixel`. */
export function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, default compression, filter and interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y += 1) {
    const at = y * (1 + width * 3);
    for (let x = 0; x < width; x += 1) rows.set(pixel(x, y), at + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Uploads one piece of media under a key (and step) of a run through PUT /artifacts/runs/<runId>. */
export function putMedia(
  baseUrl: string,
  runId: string,
  media: { kind: string; key?: string; step?: number; name: string; body: string | Uint8Array; mediaType: string },
  headers: Record<string, string> = {},
): Promise<PutResult> {
  const query: Record<string, string> = { name: media.name, kind: media.kind };
  if (media.key !== undefined) query.key = media.key;
  if (media.step !== undefined) query.step = String(media.step);
  return putArtifact(baseUrl, runId, media.body, query, { 'content-type': media.mediaType, ...headers });
}

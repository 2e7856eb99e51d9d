// The body of an OpenLineage POST (read by the edge, up to the limit) as JSON text: inflated when
// sent compressed (openlineage-python's `compression: gzip` sends Content-Encoding: gzip). The
// limit holds for the inflated bytes too, and inflation stops as soon as it is passed, so a
// small compressed body that expands to gigabytes (a zip bomb) costs no more than the limit.
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { LimitExceededError, ValidationError } from '../../errors.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** The Content-Encoding values accepted (`identity` and none mean plain JSON). */
export const ENCODINGS = ['gzip', 'x-gzip', 'deflate', 'identity'] as const;

function tooLarge(limit: number, what: string) {
  return new LimitExceededError(`body: ${what} exceeds the ${limit}-byte limit of one event`, { field: 'body', limit: 'bodyBytes', max: limit });
}

/**
 * The body's bytes as JSON text: inflated per `encoding` (gzip, deflate; several codings
 * applied in turn are refused), at most `limit` bytes once inflated.
 */
export async function decodeBody(bytes: Buffer, encoding: string | undefined, limit: number): Promise<string> {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return bytes.toString('utf8');
  if (!(ENCODINGS as readonly string[]).includes(coding)) {
    throw new ValidationError('content-encoding', `${JSON.stringify(encoding)} is not supported: send the event as is, or compressed with gzip or deflate`);
  }
  try {
    const inflated = await (coding === 'deflate' ? inflateAsync : gunzipAsync)(bytes, { maxOutputLength: limit });
    return inflated.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) throw tooLarge(limit, 'the inflated body');
    throw new ValidationError('body', `is not valid ${coding === 'deflate' ? 'deflate' : 'gzip'} data (${(error as Error).message.slice(0, 200)})`);
  }
}

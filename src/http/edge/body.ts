// Request bodies and targets as every door reads them: a size limit checked before and while
// reading, JSON parsed once and held to the input rules (NUL, lone surrogates, depth), and the
// URL's path and query held to the same text rules. Each refusal names the field and the rule.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LimitExceededError, ValidationError } from '../../errors.js';
import { inputError, jsonProblem, textProblem } from '../../input-rules.js';

/**
 * Marks the connection to close after this answer: the rest of a refused body is never read,
 * so the socket cannot carry another request (it would be parsed from the body's bytes).
 */
function closeAfterAnswer(res: ServerResponse | undefined) {
  if (res && !res.headersSent) res.setHeader('connection', 'close');
}

/** The whole body, at most `limit` bytes; more is LIMIT_EXCEEDED (limit "bodyBytes") and closes the connection. */
export async function readBody(req: IncomingMessage, limit: number, res?: ServerResponse): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    closeAfterAnswer(res);
    throw new LimitExceededError(`body: ${declared} bytes exceeds the ${limit}-byte limit (limit "bodyBytes")`, {
      field: 'body',
      limit: 'bodyBytes',
      max: limit,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      closeAfterAnswer(res);
      throw new LimitExceededError(`body: more than the ${limit}-byte limit (limit "bodyBytes")`, { field: 'body', limit: 'bodyBytes', max: limit });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A JSON body held to the input rules; undefined when the body is empty. Fields are named from the body's root (`tags[0].value`). */
export async function readJsonBody(req: IncomingMessage, limit: number, res?: ServerResponse): Promise<unknown> {
  return parseJsonBody((await readBody(req, limit, res)).toString('utf8'));
}

/** JSON text a door read itself (e.g. after inflating it), held to the same rules as readJsonBody. */
export function parseJsonBody(raw: string): unknown {
  const text = raw.trim();
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('body', `is not valid JSON (${(error as Error).message.slice(0, 200)})`, { rule: 'json' });
  }
  const problem = jsonProblem(value);
  if (problem) throw inputError(problem);
  return value;
}

/**
 * The path and query of a request target held to the text rules (a `%00` decodes to NUL): a
 * refusal names `path`, or the query parameter.
 */
export function targetProblem(url: URL): ValidationError | null {
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    // Malformed escapes are each door's to refuse; a NUL among them is refused here.
    path = url.pathname.replace(/%00/gi, '\u0000');
  }
  const problem = textProblem('path', path);
  if (problem) return inputError(problem);
  for (const [key, value] of url.searchParams) {
    const found = textProblem('query', key) ?? textProblem(key, value);
    if (found) return inputError(found);
  }
  return null;
}

// How every front door reads a request target, so none of them can be crashed by one.
/**
 * The request target as a URL. Resolved against a base, `//x` would name a host and `/\`
 * fail to parse; the target is always a path here, so it is appended to the origin instead,
 * and anything unparsable reads as `/`.
 */
export function requestUrl(target: string | undefined): URL {
  const path = target?.startsWith('/') ? target : '/';
  try {
    return new URL(`http://localhost${path}`);
  } catch {
    return new URL('http://localhost/');
  }
}

// The one HTTP request for GraphQL, and the answers sent for before the app's code had loaded:
// a module without dependencies, shared by the app and the early entry (web/src/early.ts).

const TOKEN_KEY = 'runledger.token';

export const getToken = () => localStorage.getItem(TOKEN_KEY);

/** Signs in or out: answers sent early were sent as the caller before, so they are dropped. */
export function setStoredToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  early.clear();
}

/** POSTs an operation as the signed-in caller. */
export function post(query: string, variables: unknown): Promise<Response> {
  const token = getToken();
  return fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
}

const early = new Map<string, { response: Promise<Response>; at: number }>();
const keyOf = (query: string, variables: unknown) => query + JSON.stringify(variables);
// An answer the page did not take while loading is not used later, when it may be stale.
const EARLY_KEEP_MS = 10_000;

/** Sends an operation the page is about to make, before the app's code has loaded. */
export function postEarly(query: string, variables: unknown): void {
  const response = post(query, variables);
  response.catch(() => {});
  early.set(keyOf(query, variables), { response, at: Date.now() });
}

/** The answer sent early for this operation and these variables, taken once (null when there is none). */
export function takeEarly(query: string, variables: unknown): Promise<Response> | null {
  if (early.size === 0) return null;
  const key = keyOf(query, variables);
  const found = early.get(key);
  early.delete(key);
  return found && Date.now() - found.at < EARLY_KEEP_MS ? found.response : null;
}

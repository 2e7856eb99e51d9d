// Turns request credentials into a Principal: `Authorization: Bearer <token>` on HTTP (or
// Basic with the token as password, as MLflow clients send it), the same value in graphql-ws
// connectionParams. Without a token, only auth-off (loopback) lets the request through, as
// the local user.
import { UnauthenticatedError } from '../../errors.js';
import type { Principal } from './access.js';
import type { AuthService } from './service.js';

export interface Credentials {
  /** The raw Authorization value, e.g. "Bearer rl_..." */
  authorization: string | null;
  /** x-runledger-user: names the local user when authentication is off; ignored otherwise. */
  localUser: string | null;
}

export function credentialsFromHeaders(headers: Headers): Credentials {
  const user = headers.get('x-runledger-user')?.trim();
  return { authorization: headers.get('authorization'), localUser: user ? user.slice(0, 250) : null };
}

/**
 * HTTP Basic as MLflow clients send it (MLFLOW_TRACKING_USERNAME/PASSWORD): the password is the
 * API token and the user name is ignored, so both forms resolve to the token's principal.
 */
function basicPassword(header: string): string | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password || null;
}

export async function authenticate(auth: AuthService, mode: 'on' | 'off', credentials: Credentials): Promise<Principal> {
  const header = credentials.authorization?.trim();
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match) return auth.authenticate(match[1]!);
    const basic = basicPassword(header);
    if (basic) return auth.authenticate(basic);
    throw new UnauthenticatedError('Authorization: use the form "Bearer <token>" (or Basic with the token as the password)');
  }
  if (mode === 'off') return { kind: 'local', name: credentials.localUser };
  throw new UnauthenticatedError('this server requires an API token: send Authorization: Bearer <token>');
}

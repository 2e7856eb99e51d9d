// Turns request credentials into a Principal: `Authorization: Bearer <token>` on HTTP, the
// same value in graphql-ws connectionParams. Without a token, only auth-off (loopback) lets
// the request through, as the local user.
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

export async function authenticate(auth: AuthService, mode: 'on' | 'off', credentials: Credentials): Promise<Principal> {
  const header = credentials.authorization?.trim();
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthenticatedError('Authorization: use the form "Bearer <token>"');
    return auth.authenticate(match[1]!);
  }
  if (mode === 'off') return { kind: 'local', name: credentials.localUser };
  throw new UnauthenticatedError('this server requires an API token: send Authorization: Bearer <token>');
}

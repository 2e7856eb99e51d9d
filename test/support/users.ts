// Users with API tokens for the authorization tests: a global admin, and ana and bob, who
// start with no role in any project.
import type { GraphQLClient } from './client.js';
import { type TestServer, uniqueName } from './server.js';

export async function tokenFor(server: TestServer, user: string, admin = false): Promise<string> {
  return (await server.app.services.auth.createToken({ user, admin, label: 'test' })).secret;
}

export interface SignedIn {
  name: string;
  secret: string;
  client: GraphQLClient;
}

export async function signInUsers(server: TestServer): Promise<{ admin: SignedIn; ana: SignedIn; bob: SignedIn }> {
  const signIn = async (prefix: string, admin = false): Promise<SignedIn> => {
    const name = uniqueName(prefix);
    const secret = await tokenFor(server, name, admin);
    return { name, secret, client: server.withToken(secret) };
  };
  return { admin: await signIn('admin', true), ana: await signIn('ana'), bob: await signIn('bob') };
}

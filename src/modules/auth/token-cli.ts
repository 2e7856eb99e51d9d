// `npm run token:create -- --admin [--user NAME] [--expires 30d] [--label TEXT]`: creates an API
// token directly in the configured database (no server needed) and prints its secret once.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { applyPendingMigrations } from '../../db/migrate.js';
import { createAuthService } from './service.js';
import { parseDuration } from './tokens.js';

const usage = 'usage: npm run token:create -- [--admin] [--user NAME] [--expires 30d|12h|90m|never] [--label TEXT]';

let args: { admin?: boolean; user?: string; expires?: string; label?: string };
try {
  args = parseArgs({
    options: { admin: { type: 'boolean', default: false }, user: { type: 'string' }, expires: { type: 'string', default: 'never' }, label: { type: 'string' } },
  }).values;
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}

try {
  const user = args.user ?? (args.admin ? 'admin' : null);
  if (!user) throw new ConfigError(`name the user with --user, or pass --admin\n${usage}`);
  const ms = parseDuration(args.expires!);
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    await applyPendingMigrations(db);
    const { secret, token } = await createAuthService(db).createToken({
      user,
      label: args.label ?? 'created by token:create',
      expiresAt: ms === null ? null : new Date(Date.now() + ms),
      admin: args.admin,
    });
    console.error(
      `Created token ${token.id} for ${user}${args.admin ? ' (global admin)' : ''}${token.expiresAt ? `, expires ${token.expiresAt.toISOString()}` : ''}.`,
    );
    console.error('Store it now: it is shown only once. Send it as "Authorization: Bearer <token>".');
    console.log(secret);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError || (error instanceof Error && error.message.startsWith('invalid duration')) ? error.message : error);
  process.exit(1);
}

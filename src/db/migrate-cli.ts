// `npm run db:migrate`: applies pending migrations to the configured database.
import { loadConfig } from '../config.js';
import { openDatabase } from './database.js';
import { applyPendingMigrations } from './migrate.js';

const config = loadConfig();
const db = await openDatabase(config.database);
try {
  const applied = await applyPendingMigrations(db);
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations.');
} finally {
  await db.close();
}

// `npm run db:diff -- NAME`: writes a new migration from the changes in prisma/schema.prisma.
import { createMigration } from './migrate.js';

const name = process.argv[2];
if (!name) {
  console.error('usage: npm run db:diff -- <name>   (name: [a-z0-9_]+)');
  process.exit(2);
}
const dir = await createMigration(name);
console.log(dir ? `Wrote ${dir}/migration.sql` : 'schema.prisma matches the migration history; nothing written.');

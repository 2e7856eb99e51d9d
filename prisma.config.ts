import { defineConfig } from 'prisma/config';

// The CLI is only used for `prisma generate`; migrations run through src/db/migrate.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
});

// `npm run openlineage:replay`: applies every kept OpenLineage event again, in arrival order,
// through the current mapping (after a fix to it). Each event goes back into the project and
// as the actor it was accepted for; the mapping converges, so running it twice changes nothing.
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { applyPendingMigrations } from '../../db/migrate.js';
import { createLogger } from '../../logger.js';
import { openArtifactStore } from '../../modules/artifacts/open-store.js';
import { Access, LOCAL_ACTOR } from '../../modules/auth/access.js';
import { createServices } from '../../services.js';
import { parseLineageEvent } from './parse.js';

const BATCH = 500;

async function main() {
  const config = loadConfig();
  const log = createLogger('silent');
  const db = await openDatabase(config.database);
  try {
    await applyPendingMigrations(db);
    const services = createServices(db, {
      artifactStore: openArtifactStore(config.artifacts, log),
      maxArtifactBytes: config.artifacts.maxBytes,
      openLineage: config.openLineage,
    });
    // The operator running this on the server's own database acts as a global admin.
    const operator = new Access({ kind: 'local', name: LOCAL_ACTOR }, services.auth);
    let after = 0;
    let replayed = 0;
    for (;;) {
      const batch = await services.pipelines.keptEvents(operator, after, BATCH);
      if (batch.length === 0) break;
      for (const kept of batch) {
        await services.pipelines.replay(operator, parseLineageEvent(kept.body), kept);
        after = kept.id;
        replayed += 1;
      }
      process.stderr.write(`\rreplayed ${replayed} events`);
    }
    process.stderr.write(`\rreplayed ${replayed} events\n`);
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

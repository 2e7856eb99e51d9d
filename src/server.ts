// Process entry: configuration, app, listen; SIGTERM/SIGINT stop it gracefully.
import './node-env.js';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

/** What to tell the operator when listening fails; the raw error when it is not a known case. */
function listenFailure(error: unknown, port: number, host: string): string | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE')
    return `Port ${port} on ${host} is already in use. Stop the other server or pick another port with the PORT variable (PORT=0 picks a free one).`;
  if (code === 'EACCES') return `Not allowed to listen on port ${port} on ${host}. Pick a port above 1023 with the PORT variable.`;
  if (code === 'EADDRNOTAVAIL') return `Cannot listen on ${host}: no such address on this machine. Change it with the HOST variable.`;
  return null;
}

let config;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

try {
  const app = await createApp(config);
  // The last line of defence: every request is already guarded (src/http/edge.ts); anything
  // that still escapes is logged rather than left to kill the process silently.
  process.on('unhandledRejection', (reason) => app.log.error('unhandled promise rejection', { err: reason }));
  try {
    await app.start();
  } catch (error) {
    const message = listenFailure(error, config.port, config.host);
    if (!message) throw error;
    console.error(message);
    await app.stop().catch(() => {});
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info('shutting down', { signal });
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error('shutdown failed', { err: error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  console.error(error);
  process.exit(1);
}

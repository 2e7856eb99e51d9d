// Builds the dashboard into web/dist, which the server serves at / (src/http/web/).
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * web/src/early.ts as an entry of its own, loaded by the first script tag: it sends the page's
 * query while the app's bundle still loads and compiles (an entry named in index.html would be
 * merged into the app's bundle and wait for it).
 */
function earlyEntry(): Plugin {
  return {
    name: 'runledger-early-entry',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const early = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'early');
        if (!early) throw new Error('the early entry (web/src/early.ts) was not built');
        // Before the app's script: module scripts run in document order.
        const tag = `<script type="module" crossorigin src="/${early.fileName}"></script>\n    `;
        return html.replace('<script type="module"', `${tag}<script type="module"`);
      },
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), earlyEntry()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    // Quiet on a busy machine: the plugin-timing note is not a problem with the build.
    rolldownOptions: { checks: { pluginTimings: false }, input: { index: 'index.html', early: 'src/early.ts' } },
  },
  server: {
    // `npx vite web` during development: the API stays on the running server.
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/artifacts': 'http://127.0.0.1:4000' },
  },
});

// Builds the dashboard into web/dist, which the server serves at / (src/http/web/).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    // Quiet on a busy machine: the plugin-timing note is not a problem with the build.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  server: {
    // `npx vite web` during development: the API stays on the running server.
    proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true }, '/artifacts': 'http://127.0.0.1:4000' },
  },
});

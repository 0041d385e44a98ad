// The dashboard's build: React through Vite, from this folder into dist/ui, which the control
// plane serves on its HTTP port beside the REST API (control-plane/src/api/static-ui.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `npx vite --config control-plane/ui/vite.config.ts` against a running `meshward up`.
    proxy: { '/v1': 'http://127.0.0.1:7070' },
  },
});

import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// Two entry pages, one per Pipedrive surface; served by the app under /extension/
// (server/http/routes/static.ts). The manifest lets build.ts add up each surface's JS.
export default defineConfig({
  root,
  base: '/extension/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    target: 'es2020',
    rollupOptions: {
      input: { settings: `${root}settings.html`, panel: `${root}panel.html` },
    },
  },
});

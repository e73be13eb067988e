// The web app's build: React, bundled into dist/ with hashed names, served by the hub under `/`.
// No CDN and nothing fetched at run time: everything the pages need is in the bundle.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  // `vite dev` for page work against a hub on :3000.
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});

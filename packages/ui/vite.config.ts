import { defineConfig } from 'vite';

// Everything the browser loads is in dist/ and served by the collector: no CDN, no inline script
// (the collector's Content-Security-Policy allows scripts from 'self' only).
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // `pnpm dev`: the UI with hot reload, the API from a collector running on its default port
  server: {
    proxy: {
      '/api': { target: process.env.CROSSTRACE_QUERY_URL ?? 'http://127.0.0.1:16686', secure: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
});

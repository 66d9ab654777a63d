import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = path.dirname(fileURLToPath(import.meta.url));
const API = process.env.DEVFLOW_API_URL ?? 'http://127.0.0.1:3000';
/** Initial JavaScript (entry + its static imports), gzipped: the target. */
const INITIAL_JS_BUDGET = 250 * 1024;
const PRECACHE_PLACEHOLDER = /(["'`])__DEVFLOW_PRECACHE__\1/;

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

/**
 * Fills the service worker's precache list after the bundle is written: the
 * app shell is every emitted file (index.html, hashed assets, icons,
 * manifest), and the cache version changes whenever any of them does.
 */
function serviceWorkerPrecache(): Plugin {
  let outDir = '';
  return {
    name: 'devflow-sw-precache',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const swPath = path.join(outDir, 'sw.js');
      const files = listFiles(outDir)
        .filter((f) => f !== 'sw.js' && !f.endsWith('.map'))
        .sort();
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update(fs.readFileSync(path.join(outDir, f)));
      const manifest = { version: hash.digest('hex').slice(0, 16), urls: files.map((f) => `/${f}`) };
      const source = fs.readFileSync(swPath, 'utf8');
      if (!PRECACHE_PLACEHOLDER.test(source)) throw new Error('sw.js lost its precache placeholder');
      fs.writeFileSync(swPath, source.replace(PRECACHE_PLACEHOLDER, JSON.stringify(JSON.stringify(manifest))));
    },
  };
}

/**
 * Prints the gzipped size of the JavaScript a first visit downloads (the
 * entry chunk and everything it imports statically; lazy pages excluded) and
 * fails the build above the budget.
 */
function initialJsBudget(): Plugin {
  return {
    name: 'devflow-initial-js-budget',
    apply: 'build',
    writeBundle(_options, bundle) {
      const seen = new Set<string>();
      const visit = (file: string) => {
        const chunk = bundle[file];
        if (seen.has(file) || !chunk || chunk.type !== 'chunk') return;
        seen.add(file);
        chunk.imports.forEach(visit);
      };
      for (const [file, chunk] of Object.entries(bundle)) {
        if (chunk.type === 'chunk' && chunk.isEntry && chunk.name === 'main') visit(file);
      }
      let raw = 0;
      let gz = 0;
      for (const file of seen) {
        const chunk = bundle[file];
        if (chunk?.type !== 'chunk') continue;
        raw += Buffer.byteLength(chunk.code);
        gz += gzipSync(chunk.code, { level: 9 }).length;
      }
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      this.info(`initial JS: ${kb(gz)} gzipped (${kb(raw)} raw, ${seen.size} file(s)); budget ${kb(INITIAL_JS_BUDGET)}`);
      if (gz > INITIAL_JS_BUDGET) this.error(`initial JS ${kb(gz)} gzipped is over the ${kb(INITIAL_JS_BUDGET)} budget`);
    },
  };
}

export default defineConfig({
  root,
  plugins: [react(), serviceWorkerPrecache(), initialJsBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: { main: path.join(root, 'index.html'), sw: path.join(root, 'src/sw/service-worker.ts') },
      output: {
        // The service worker must keep a stable name at the root so its scope is the whole app.
        entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: API, changeOrigin: false, ws: false },
      '/healthz': { target: API },
    },
  },
  preview: { host: '127.0.0.1' },
});

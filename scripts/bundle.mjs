// Bundles the server into minified ESM: a single parse at start and less memory
// than thousands of module files (see bench/idle-rss.ts). Native modules stay external.
// `packages/server/dist/devflow.mjs` is the entry; what the code loads with `import()`
// only when a feature is first used (acme-client, pg) goes to `dist/chunks/`, so an
// idle process never parses or holds it.
import fs from 'node:fs';
import { build } from 'esbuild';

fs.rmSync('packages/server/dist/chunks', { recursive: true, force: true });

await build({
  entryPoints: { devflow: 'packages/server/src/main.ts' },
  outdir: 'packages/server/dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  conditions: ['source'],
  external: ['better-sqlite3', '@node-rs/argon2', 'pg-native', '@fastify/swagger-ui', 'ssh2', 'cpu-features'],
  banner: { js: "import { createRequire as __devflowRequire } from 'node:module'; const require = __devflowRequire(import.meta.url);" },
  logLevel: 'warning',
});

// Bundles the server into one minified ESM file: a single parse at start and less
// memory than thousands of module files (see bench/idle-rss.ts). Native modules stay external.
import { build } from 'esbuild';

await build({
  entryPoints: ['packages/server/src/main.ts'],
  outfile: 'packages/server/dist/devflow.mjs',
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

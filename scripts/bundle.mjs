// Bundles the server into minified ESM: a single parse at start and less memory
// than thousands of module files (see bench/idle-rss.ts). Native modules stay external.
// `packages/server/dist/devflow.mjs` is the entry; what the code loads with `import()`
// only when a feature is first used (acme-client, pg) goes to `dist/chunks/`, so an
// idle process never parses or holds it.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * A dependency's own lazy `import('pkg')` is left to Node. Bundled, esbuild
 * hands a CommonJS package to it as `{ default }` only (Node also gives the
 * named exports), so e.g. @fastify/cookie's `(await import('cookie')).parseCookie`
 * is undefined and every sign-in fails. Our own lazy imports stay bundled and
 * read `default` through src/lib/commonjs.ts. The package must resolve from
 * dist/ to the file the dependency would get, or the build stops.
 */
const dependencyImportsStayExternal = {
  name: 'dependency-imports-stay-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || !args.importer.includes(`${path.sep}node_modules${path.sep}`) || args.pluginData === 'probe') return undefined;
      const probe = { kind: args.kind, pluginData: 'probe' };
      const wanted = await b.resolve(args.path, { ...probe, resolveDir: args.resolveDir });
      const fromDist = await b.resolve(args.path, { ...probe, resolveDir: path.resolve('packages/server') /* what dist/chunks/ looks up: the same node_modules folders */ });
      if (wanted.errors.length || wanted.path !== fromDist.path) {
        return { errors: [{ text: `${args.importer} imports ${args.path} lazily, and dist/ would load ${fromDist.path || 'nothing'} instead of ${wanted.path}` }] };
      }
      return { path: args.path, external: true };
    });
  },
};

fs.rmSync('packages/server/dist/chunks', { recursive: true, force: true });

await build({
  // devflow.mjs only checks the Node.js version, then imports devflow-main.mjs. Both sit in dist/, so
  // paths relative to import.meta.url (package.json, the web UI) stay what they are in the sources' dist.
  entryPoints: { devflow: 'packages/server/src/devflow.ts', 'devflow-main': 'packages/server/src/main.ts' },
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
  plugins: [dependencyImportsStayExternal],
  logLevel: 'warning',
});

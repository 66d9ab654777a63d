import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Paths that belong to the API or operations: never answered with the SPA. */
const NOT_UI = /^\/(api|healthz|metrics)(\/|$)/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * Hashed build output (`assets/<name>-<hash>.js`) never changes under its
 * name, so browsers may keep it for a year; everything else (index.html, the
 * service worker, manifest, icons) is revalidated on every use.
 */
function cacheControlFor(distDir: string, filePath: string): string {
  const rel = path.relative(distDir, filePath).split(path.sep).join('/');
  return rel.startsWith('assets/') ? IMMUTABLE : REVALIDATE;
}

function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('text/html');
}

/**
 * Serves the built web UI from `distDir`: static files with cache headers,
 * and index.html for any other GET that asks for HTML outside /api/,
 * /healthz and /metrics (client-side routes such as /settings/members).
 * Other unknown paths still answer the 404 problem document. Registers
 * nothing, with a warning, when the UI has not been built.
 */
export async function registerWebUi(app: FastifyInstance, opts: { distDir: string }): Promise<void> {
  const distDir = path.resolve(opts.distDir);
  if (!fs.existsSync(path.join(distDir, 'index.html'))) {
    app.log.warn({ distDir }, 'web UI not built (no index.html): the dashboard is not served; run `npm run build -w @devflow/web`');
    return;
  }

  // Encapsulated so `reply.sendFile` does not clash with other @fastify/static users (the API reference page).
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: distDir,
      prefix: '/',
      // One route per built file, so unknown paths reach the fallback below instead of a static 404.
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        reply.header('cache-control', cacheControlFor(distDir, filePath));
      },
    });

    scope.get('/*', { schema: { hide: true } }, (req, reply) => {
      const pathname = req.url.split('?')[0] ?? '/';
      if (NOT_UI.test(pathname) || (pathname !== '/' && !wantsHtml(req.headers.accept))) {
        return reply.callNotFound(); // the app's 404 problem+json
      }
      return reply.sendFile('index.html');
    });
  });
}

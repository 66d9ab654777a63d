import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticFile {
  abs: string;
  type: string;
  cacheControl: string;
}

/** Every file under `dir`, by URL path (`/assets/main-abc.js`). The build output is a few dozen files. */
export function listFiles(dir: string, root = dir, out = new Map<string, StaticFile>()): Map<string, StaticFile> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(abs, root, out);
    else if (entry.isFile()) {
      const url = '/' + path.relative(root, abs).split(path.sep).join('/');
      out.set(url, { abs, type: TYPES[path.extname(entry.name).toLowerCase()] ?? 'application/octet-stream', cacheControl: cacheControlFor(root, abs) });
    }
  }
  return out;
}

/**
 * Sends one built file with a validator (ETag from size and mtime) so a
 * revalidating browser gets 304. Read from disk on each request, so a
 * rebuilt UI is served without a restart of the control plane.
 */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, file: StaticFile): Promise<FastifyReply> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file.abs);
  } catch {
    reply.callNotFound(); // removed since start (a rebuild in progress): the 404 problem
    return reply;
  }
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  reply.header('cache-control', file.cacheControl).header('etag', etag).header('last-modified', stat.mtime.toUTCString());
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  reply.type(file.type).header('content-length', stat.size);
  return reply.send(fs.createReadStream(file.abs));
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

  // One route per built file (a few dozen), so unknown paths reach the fallback below. No static-file
  // plugin: the bundled copy of one cost ~1.8 MiB of idle memory (bench/idle-rss.ts).
  const files = listFiles(distDir);
  const index = files.get('/index.html') as StaticFile;
  for (const [url, file] of files) {
    // ':' and '*' mean parameters to the router; Vite never emits them, so such a file is not served.
    if (/[:*]/.test(url)) app.log.warn({ url }, 'web UI file name not served (contains : or *)');
    else app.get(url, { schema: { hide: true } }, (req, reply) => sendFile(req, reply, file));
  }

  app.get('/*', { schema: { hide: true } }, (req, reply) => {
    const pathname = req.url.split('?')[0] ?? '/';
    if (NOT_UI.test(pathname) || (pathname !== '/' && !wantsHtml(req.headers.accept))) {
      return reply.callNotFound(); // the app's 404 problem+json
    }
    return sendFile(req, reply, index);
  });
}

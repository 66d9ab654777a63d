import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { listFiles, sendFile, type StaticFile } from './web-ui.js';

const PREFIX = '/api/reference';

/** The page: Swagger UI's own files, with no inline script (the CSP allows only 'self'). */
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>DevFlow Pro API reference</title>
    <link rel="stylesheet" href="${PREFIX}/static/swagger-ui.css">
    <link rel="stylesheet" href="${PREFIX}/static/index.css">
    <link rel="icon" type="image/png" href="${PREFIX}/static/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${PREFIX}/static/swagger-ui-bundle.js"></script>
    <script src="${PREFIX}/static/swagger-ui-standalone-preset.js"></script>
    <script src="${PREFIX}/initializer.js"></script>
  </body>
</html>
`;

function initializer(specUrl: string): string {
  return `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(specUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
});
`;
}

/**
 * The interactive API reference at /api/reference/: Swagger UI's static
 * distribution (shipped in @fastify/swagger-ui's `static/` folder) served by
 * plain routes, reading the OpenAPI document from `specUrl`. Registering
 * the plugin itself loaded its own copies of @fastify/static and yaml into
 * every idle control plane (~1.3 MiB, bench/idle-rss.ts) for a page few
 * people open. Warns and registers nothing when the files are missing.
 */
export function registerApiReference(app: FastifyInstance, opts: { specUrl: string }): void {
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve('@fastify/swagger-ui')), 'static');
  } catch (err) {
    app.log.warn({ err }, 'API reference page not served: @fastify/swagger-ui is not installed');
    return;
  }
  const files = listFiles(dir);
  const hide = { schema: { hide: true } };
  // The router ignores a trailing slash: this also answers /api/reference (the page's URLs are absolute).
  app.get(`${PREFIX}/`, hide, (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(PAGE));
  const script = initializer(opts.specUrl);
  app.get(`${PREFIX}/initializer.js`, hide, (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script));
  app.get(`${PREFIX}/static/*`, hide, (req, reply) => {
    const file: StaticFile | undefined = files.get('/' + (req.params as { '*': string })['*']);
    if (!file || file.abs.endsWith('.html')) {
      reply.callNotFound();
      return reply;
    }
    return sendFile(req, reply, { ...file, cacheControl: 'public, max-age=86400' });
  });
}

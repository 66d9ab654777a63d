import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.js';
import { createHttpApp, type HttpApp } from './app.js';
import { registerApiReference } from './api-reference.js';
import { registerWebUi } from './web-ui.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('warn', stream) };
}

describe('registerWebUi', () => {
  let dist: string;
  let app: HttpApp;
  let lines: string[];

  beforeEach(async () => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-web-'));
    fs.mkdirSync(path.join(dist, 'assets'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>DevFlow Pro</title>');
    fs.writeFileSync(path.join(dist, 'sw.js'), 'self.addEventListener("fetch", () => {});');
    fs.writeFileSync(path.join(dist, 'manifest.webmanifest'), '{"name":"DevFlow Pro"}');
    fs.writeFileSync(path.join(dist, 'assets', 'main-abc123.js'), 'console.log(1)');
    const sink = logSink();
    lines = sink.lines;
    app = await createHttpApp({ logger: sink.logger, trustProxy: false, version: 'test' });
    app.get('/api/v1/ping', { config: { access: 'public' } }, async () => ({ ok: true }));
    app.get('/healthz', async () => ({ status: 'ok' }));
  });

  afterEach(async () => {
    await app.close();
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('serves hashed assets for a year and revalidates index.html and the service worker', async () => {
    await registerWebUi(app, { distDir: dist });
    const asset = await app.inject({ url: '/assets/main-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);

    for (const url of ['/index.html', '/sw.js', '/manifest.webmanifest']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('answers a revalidation with 304 while the file is unchanged, and HEAD without a body', async () => {
    await registerWebUi(app, { distDir: dist });
    const first = await app.inject({ url: '/sw.js' });
    expect(first.body).toBe('self.addEventListener("fetch", () => {});');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"/);
    expect((await app.inject({ url: '/sw.js', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
    fs.writeFileSync(path.join(dist, 'sw.js'), 'self.addEventListener("fetch", () => { /* v2 */ });');
    const changed = await app.inject({ url: '/sw.js', headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toContain('v2');
    const head = await app.inject({ method: 'HEAD', url: '/assets/main-abc123.js' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('14');
    expect(head.body).toBe('');
  });

  it('answers client-side routes that accept HTML with index.html', async () => {
    await registerWebUi(app, { distDir: dist });
    for (const url of ['/', '/login', '/settings/members?x=1', '/settings/audit/']) {
      const res = await app.inject({ url, headers: { accept: HTML } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.body).toContain('DevFlow Pro');
    }
  });

  it('keeps API, health and metrics paths and non-HTML requests on the 404 problem', async () => {
    await registerWebUi(app, { distDir: dist });
    const cases = [
      { method: 'GET' as const, url: '/api/v1/nope', accept: HTML },
      { method: 'GET' as const, url: '/api/v1/ping/extra', accept: HTML },
      { method: 'GET' as const, url: '/healthz/deep', accept: HTML },
      { method: 'GET' as const, url: '/metrics/x', accept: HTML },
      { method: 'GET' as const, url: '/settings', accept: 'application/json' },
      { method: 'GET' as const, url: '/assets/missing-000.js', accept: '*/*' },
      { method: 'POST' as const, url: '/settings', accept: HTML },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: c.method, url: c.url, headers: { accept: c.accept } });
      expect(res.statusCode, c.url).toBe(404);
      expect(res.headers['content-type'], c.url).toMatch(/^application\/problem\+json/);
      expect(res.json(), c.url).toMatchObject({ status: 404, code: 'route.not_found' });
    }
    // Real routes are untouched.
    expect((await app.inject({ url: '/api/v1/ping', headers: { accept: HTML } })).json()).toEqual({ ok: true });
    expect((await app.inject({ url: '/healthz', headers: { accept: HTML } })).statusCode).toBe(200);
  });

  it('lives beside the API reference page: Swagger UI with no inline script, reading the OpenAPI document', async () => {
    registerApiReference(app, { specUrl: '/api/v1/openapi.json' });
    await registerWebUi(app, { distDir: dist });
    expect((await app.inject({ url: '/api/reference' })).body).toContain('swagger-ui-bundle.js');
    const reference = await app.inject({ url: '/api/reference/', headers: { accept: HTML } });
    expect(reference.statusCode).toBe(200);
    expect(reference.headers['content-type']).toMatch(/^text\/html/);
    expect(reference.body).toContain('<title>DevFlow Pro API reference</title>');
    expect(reference.body).not.toMatch(/<script>(?!<)/);
    const scripts = [...reference.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...reference.body.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(3);
    for (const url of [...scripts, ...styles]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(url.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect(res.body.length, url).toBeGreaterThan(100);
    }
    expect((await app.inject({ url: '/api/reference/initializer.js' })).body).toContain('"/api/v1/openapi.json"');
    // Only Swagger UI's own assets: no HTML page of the package, nothing outside its folder.
    for (const url of ['/api/reference/static/index.html', '/api/reference/static/../package.json', '/api/reference/static/%2e%2e/package.json']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
    expect((await app.inject({ url: '/login', headers: { accept: HTML } })).body).toContain('<title>DevFlow Pro</title>');
  });

  it('registers nothing and warns when the UI is not built', async () => {
    fs.rmSync(path.join(dist, 'index.html'));
    await registerWebUi(app, { distDir: dist });
    const res = await app.inject({ url: '/', headers: { accept: HTML } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await app.inject({ url: '/assets/main-abc123.js' })).statusCode).toBe(404);
    expect(lines.join('')).toContain('web UI not built');
  });
});

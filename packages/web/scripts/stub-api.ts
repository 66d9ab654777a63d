import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * A throwaway server for looking at the built UI without the control plane:
 * serves `dist` (SPA fallback included) and answers the identity API with
 * the shapes of @devflow/contracts from memory (identity, servers). Not for production; used by
 * the screenshot script.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
};

const CSRF = 'csrf-stub-token';
const user = { id: 'usr_1', email: 'ada@example.com', name: 'Ada Lovelace', twoFactorEnabled: false, createdAt: '2025-10-01T09:00:00Z' };
const memberships = [
  { organizationId: 'org_1', organizationName: 'Acme Hosting', role: 'owner', requireTwoFactor: false },
  { organizationId: 'org_2', organizationName: 'Side Project', role: 'developer', requireTwoFactor: false },
];

export interface StubState {
  /** Unsafe requests that arrived without the CSRF token (should stay empty). */
  csrfMissing: string[];
  setupRequired: boolean;
}

function problem(res: http.ServerResponse, status: number, code: string, detail: string, errors?: { field: string; message: string }[]) {
  res.writeHead(status, { 'content-type': 'application/problem+json; charset=utf-8' });
  res.end(JSON.stringify({ type: `urn:devflow:problem:${code}`, title: 'Error', status, code, detail, ...(errors ? { errors } : {}) }));
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

interface StubToken {
  id: string;
  name: string;
  prefix: string;
  abilities: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

const tokens: StubToken[] = [
  { id: 'tok_1', name: 'CI deploys', prefix: 'dfp_Qx81aZ', abilities: ['deploy'], expiresAt: '2026-03-01T00:00:00Z', lastUsedAt: '2025-11-26T09:12:00Z', createdAt: '2025-10-02T10:00:00Z' },
  { id: 'tok_2', name: 'Grafana', prefix: 'dfp_7hTq0m', abilities: ['metrics:read'], expiresAt: null, lastUsedAt: null, createdAt: '2025-11-20T16:30:00Z' },
];
const members = [
  { userId: 'usr_1', email: 'ada@example.com', name: 'Ada Lovelace', role: 'owner', twoFactorEnabled: true, projectIds: null, createdAt: '2025-10-01T09:00:00Z' },
  { userId: 'usr_2', email: 'grace@example.com', name: 'Grace Hopper', role: 'admin', twoFactorEnabled: true, projectIds: null, createdAt: '2025-10-03T09:00:00Z' },
  { userId: 'usr_3', email: 'linus@example.com', name: 'Linus Example', role: 'developer', twoFactorEnabled: false, projectIds: null, createdAt: '2025-10-09T09:00:00Z' },
  { userId: 'usr_4', email: 'viewer@example.com', name: 'Vera Viewer', role: 'viewer', twoFactorEnabled: false, projectIds: null, createdAt: '2025-11-02T09:00:00Z' },
];
const auditEvents = Array.from({ length: 8 }, (_, i) => ({
  id: `aud_${i + 1}`,
  organizationId: i % 4 === 0 ? null : 'org_1',
  actorType: 'user',
  actorId: 'usr_1',
  actorEmail: 'ada@example.com',
  action: ['auth.login', 'member.invite', 'token.create', 'member.role_change'][i % 4],
  targetType: i % 4 === 0 ? null : ['user', 'token', 'user'][i % 3],
  targetId: i % 4 === 0 ? null : `id_${i}`,
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131',
  diff: i % 4 === 3 ? { role: ['developer', 'admin'] } : null,
  createdAt: new Date(Date.UTC(2025, 10, 26, 12 - i, 5)).toISOString(),
}));

const NOW = Date.UTC(2025, 10, 26, 12, 0);
const FACTS = {
  os: { id: 'debian', version: '12', codename: 'bookworm', name: 'Debian GNU/Linux 12 (bookworm)' },
  kernel: '6.1.0-27-amd64',
  arch: 'x86_64',
  cpus: 4,
  memoryBytes: 8 * 1024 ** 3,
  diskBytes: 160 * 1024 ** 3,
  serviceManager: 'systemd',
  tools: { docker: null, nginx: '1.22.1', php: ['8.2.26'], phpFpm: ['8.2.26'], composer: '2.8.3', git: '2.39.5', restic: null, curl: '7.88.1', rsync: '3.2.7' },
  detectedAt: new Date(NOW - 3_600_000).toISOString(),
};
const servers = [
  ['srv_1', 'web-1', '203.0.113.10', 'online'],
  ['srv_2', 'db-1', '203.0.113.11', 'unreachable'],
  ['srv_3', 'staging', 'staging.example.com', 'new'],
].map(([id = '', name = '', host = '', status = '']) => ({
  id,
  organizationId: 'org_1',
  name,
  host,
  port: 22,
  user: 'root',
  sshKeyId: 'key_1',
  status,
  hostKeyFingerprint: status === 'new' ? null : 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8',
  pendingHostKeyFingerprint: status === 'unreachable' ? 'SHA256:Yq3xK0m1c0Hc8fVYkqk2mPpQz5r4S1tUuVwWxXyZaAb' : null,
  facts: status === 'new' ? { ...FACTS, os: null, kernel: null, arch: null, cpus: null, memoryBytes: null, diskBytes: null, serviceManager: null, tools: null, detectedAt: null } : FACTS,
  lastSeenAt: status === 'new' ? null : new Date(NOW - (status === 'online' ? 20_000 : 5_400_000)).toISOString(),
  lastError: status === 'unreachable' ? 'The host key of 203.0.113.11 changed: expected SHA256:nThbg6kX…, the server presented SHA256:Yq3xK0m1….' : null,
  metricsIntervalSeconds: 30,
  createdAt: '2025-11-01T09:00:00Z',
  updatedAt: '2025-11-20T09:00:00Z',
}));
const run = {
  id: 'prv_1',
  serverId: 'srv_1',
  jobId: 'job_1',
  status: 'succeeded',
  phpVersion: '8.2',
  changed: true,
  steps: [
    ['layout', 'changed', 'created /srv/devflow'],
    ['base-packages', 'unchanged', 'git, curl, ca-certificates and rsync are installed'],
    ['nginx', 'unchanged', 'nginx is installed and running'],
    ['docker', 'skipped', 'not requested for PHP releases'],
  ].map(([name = '', status = '', reason = '']) => ({ name, status, reason, startedAt: '2025-11-26T11:00:00Z', finishedAt: '2025-11-26T11:00:02Z' })),
  error: null,
  createdAt: '2025-11-26T11:00:00Z',
  startedAt: '2025-11-26T11:00:00Z',
  finishedAt: '2025-11-26T11:00:09Z',
};
const logLines = ['==> layout', '$ install -d -m 755 -o root -g root -- /srv/devflow', '<== layout: changed (created /srv/devflow)', '==> nginx', 'nginx is running.'].map(
  (line, i) => ({ seq: i + 1, at: '2025-11-26T11:00:01Z', step: line.includes('nginx') ? 'nginx' : 'layout', stream: line.startsWith('<==') || line.startsWith('==>') ? 'system' : 'stdout', line }),
);

/** A smooth, deterministic hour of samples every 30 s. */
function metrics(serverId: string, from: number, to: number) {
  const points = [];
  for (let t = Math.max(from, to - 3_600_000) + 15_000, i = 0; t <= to; t += 30_000, i++) {
    const wave = Math.sin(i / 9) * 0.5 + 0.5;
    points.push({
      at: new Date(t).toISOString(),
      samples: 1,
      cpuPercent: 12 + wave * 35 + (i % 7) * 2,
      cpuPercentMax: 20 + wave * 50,
      load1: 0.4 + wave * 1.6,
      memUsedBytes: (3.1 + wave * 1.2) * 1024 ** 3,
      memTotalBytes: 8 * 1024 ** 3,
      diskUsedBytes: (61 + i * 0.01) * 1024 ** 3,
      diskTotalBytes: 160 * 1024 ** 3,
      netRxBytesPerSecond: 40_000 + wave * 220_000,
      netTxBytesPerSecond: 25_000 + (1 - wave) * 90_000,
    });
  }
  return { serverId, step: 'raw', from: new Date(from).toISOString(), to: new Date(to).toISOString(), points };
}

async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL, state: StubState): Promise<void> {
  const signedIn = (req.headers.cookie ?? '').includes('devflow_session=stub');
  const route = `${req.method} ${url.pathname}`;
  if (req.method !== 'GET' && req.headers['x-csrf-token'] !== CSRF && !url.pathname.startsWith('/api/v1/auth/')) {
    state.csrfMissing.push(route);
    return problem(res, 403, 'auth.csrf_invalid', 'Missing or wrong CSRF token.');
  }
  const cookie = { 'set-cookie': 'devflow_session=stub; Path=/; HttpOnly; SameSite=Lax' };

  switch (route) {
    case 'POST /api/v1/auth/setup': {
      const body = await readJson(req);
      if (!state.setupRequired) return problem(res, 409, 'auth.setup_done', 'DevFlow is already set up.');
      if (String(body.password ?? '').length < 12) {
        return problem(res, 400, 'request.validation', 'The request has invalid fields: body.password.', [
          { field: 'body.password', message: 'Use at least 12 characters.' },
        ]);
      }
      state.setupRequired = false;
      return json(res, 201, { user, csrfToken: CSRF }, cookie);
    }
    case 'POST /api/v1/auth/login': {
      const body = await readJson(req);
      if (body.password !== 'correct horse battery') return problem(res, 401, 'auth.invalid_credentials', 'Wrong email or password.');
      if (String(body.email).startsWith('totp') && !body.totp && !body.recoveryCode) {
        return problem(res, 401, 'auth.totp_required', 'Enter the code from your authenticator app.');
      }
      if (body.totp !== undefined && body.totp !== '123456') return problem(res, 401, 'auth.invalid_second_factor', 'The code is wrong, expired or was already used.');
      return json(res, 200, { user, csrfToken: CSRF }, cookie);
    }
    case 'POST /api/v1/auth/logout':
      res.writeHead(204, { 'set-cookie': 'devflow_session=; Path=/; Max-Age=0' });
      return void res.end();
  }

  if (!signedIn) return problem(res, 401, 'auth.required', 'Sign in or send an API token.');

  switch (route) {
    case 'GET /api/v1/me':
      return json(res, 200, { user, csrfToken: CSRF, memberships, via: 'session', twoFactorRequired: false });
    case 'GET /api/v1/events':
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('retry: 3000\n\n');
      return;
    case 'GET /api/v1/tokens':
      return json(res, 200, { data: tokens, nextCursor: null });
    case 'POST /api/v1/tokens': {
      const body = await readJson(req);
      const t = { id: `tok_${tokens.length + 1}`, name: String(body.name), prefix: 'dfp_3kq8Xc', abilities: body.abilities as string[], expiresAt: (body.expiresAt as string) ?? null };
      tokens.push({ ...t, lastUsedAt: null, createdAt: new Date().toISOString() });
      return json(res, 201, { ...t, token: 'dfp_3kq8Xc1vT0pMZ2yWb7sH9nQeR4uA6dLf' });
    }
    case 'POST /api/v1/me/totp':
      return json(res, 200, {
        secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
        otpauthUrl: 'otpauth://totp/DevFlow%20Pro:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=DevFlow%20Pro',
      });
    case 'GET /api/v1/organizations/org_1/members':
    case 'GET /api/v1/organizations/org_2/members':
      return json(res, 200, { data: members, nextCursor: null });
    case 'GET /api/v1/audit-events':
      return json(res, 200, { data: auditEvents, nextCursor: 'next' });
    case 'GET /api/v1/servers':
      return json(res, 200, { data: url.searchParams.get('organizationId') === 'org_2' ? [] : servers, nextCursor: null });
    case 'GET /api/v1/ssh-keys':
      return json(res, 200, {
        data: [{ id: 'key_1', organizationId: 'org_1', name: 'production', type: 'ssh-ed25519', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEIQczXkVx9q devflow-production', fingerprint: 'SHA256:3nFjWuHUCJvwdSqEUg4Bg37moJfTDkg38IzHmNt0MP4', createdAt: '2025-11-01T09:00:00Z' }],
        nextCursor: null,
      });
  }
  const serverRoute = /^GET \/api\/v1\/servers\/([^/]+)(\/metrics|\/provisioning-runs\/prv_1\/logs)?$/.exec(route);
  const server = servers.find((x) => x.id === serverRoute?.[1]);
  if (serverRoute && server) {
    if (serverRoute[2] === '/metrics') {
      const to = Date.parse(url.searchParams.get('to') ?? '') || NOW;
      return json(res, 200, server.status === 'new' ? { serverId: server.id, step: 'raw', from: new Date(to - 3_600_000).toISOString(), to: new Date(to).toISOString(), points: [] } : metrics(server.id, Date.parse(url.searchParams.get('from') ?? '') || to - 3_600_000, to));
    }
    if (serverRoute[2]) return json(res, 200, { data: Number(url.searchParams.get('after')) > 0 ? [] : logLines, nextAfter: logLines.length });
    return json(res, 200, { ...server, latestProvisionRun: server.id === 'srv_1' ? run : null });
  }
  return problem(res, 404, 'route.not_found', `No route ${route}.`);
}

/** Starts the stub on 127.0.0.1 (a free port) and answers its base URL. */
export async function startStub(distDir: string, state: StubState): Promise<{ url: string; close(): Promise<void> }> {
  const root = path.resolve(distDir);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    if (url.pathname.startsWith('/api/')) {
      api(req, res, url, state).catch((err: unknown) => problem(res, 500, 'internal', String(err)));
      return;
    }
    const file = path.join(root, path.normalize(url.pathname));
    const target = file.startsWith(root) && fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(root, 'index.html');
    fs.readFile(target, (err, data) => {
      if (err) return problem(res, 500, 'internal', `Cannot read ${target}: is a build running?`);
      res.writeHead(200, { 'content-type': TYPES[path.extname(target)] ?? 'application/octet-stream' });
      res.end(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Walks every operation of the OpenAPI document as anonymous, viewer,
 * developer, admin and a member of another organization, and checks each
 * answer against the table below: no 2xx without the right, never a 5xx.
 * A route missing from the table fails the test, so new routes are covered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createToken, login, setupOwner, startTestApp, TEST_PASSWORD, type Session, type TestApp } from '../support/app.js';
import { openEvents, until, type SseStream } from '../support/sse.js';

type Role = 'viewer' | 'developer' | 'admin';
/**
 * public: anyone; self: any signed-in user, on their own things; a role: that role or higher in the
 * resource's organization; installation: installation administrators only (no walked actor is one).
 */
type Min = 'public' | 'self' | 'installation' | Role;
/** org: the path names a resource of organization A; list: organization-wide list, filtered to what the caller may see. */
interface Rule {
  min: Min;
  scope?: 'org' | 'list';
}

const matrix: Record<string, Rule> = {
  'GET /healthz': { min: 'public' },
  'GET /metrics': { min: 'installation' },
  'GET /api/v1/instance': { min: 'installation' },
  'PATCH /api/v1/instance': { min: 'installation' },
  'GET /api/v1/events': { min: 'self' },
  'GET /api/v1/auth/setup': { min: 'public' },
  'POST /api/v1/auth/setup': { min: 'public' },
  'POST /api/v1/auth/login': { min: 'public' },
  'POST /api/v1/auth/logout': { min: 'self' },
  'POST /api/v1/invitations/accept': { min: 'public' },
  'GET /api/v1/me': { min: 'self' },
  'POST /api/v1/me/password': { min: 'self' },
  'POST /api/v1/me/totp': { min: 'self' },
  'POST /api/v1/me/totp/confirm': { min: 'self' },
  'DELETE /api/v1/me/totp': { min: 'self' },
  'GET /api/v1/tokens': { min: 'self' },
  'POST /api/v1/tokens': { min: 'self' },
  'DELETE /api/v1/tokens/{id}': { min: 'self' },
  'DELETE /api/v1/tokens': { min: 'self' },
  'GET /api/v1/organizations': { min: 'self' },
  'POST /api/v1/organizations': { min: 'installation' },
  'GET /api/v1/organizations/{id}': { min: 'viewer', scope: 'org' },
  'PATCH /api/v1/organizations/{id}': { min: 'admin', scope: 'org' },
  'GET /api/v1/organizations/{id}/members': { min: 'viewer', scope: 'org' },
  'POST /api/v1/organizations/{id}/members': { min: 'admin', scope: 'org' },
  'PATCH /api/v1/organizations/{id}/members/{userId}': { min: 'admin', scope: 'org' },
  'DELETE /api/v1/organizations/{id}/members/{userId}': { min: 'admin', scope: 'org' },
  'GET /api/v1/organizations/{id}/invitations': { min: 'admin', scope: 'org' },
  'POST /api/v1/organizations/{id}/invitations': { min: 'admin', scope: 'org' },
  'DELETE /api/v1/organizations/{id}/invitations/{invitationId}': { min: 'admin', scope: 'org' },
  'GET /api/v1/audit-events': { min: 'admin', scope: 'list' },
  // Domains, certificates and DNS providers (fixtures: domainFixtures below).
  'GET /api/v1/environments/{id}/domains': { min: 'viewer', scope: 'org' },
  'POST /api/v1/environments/{id}/domains': { min: 'developer', scope: 'org' },
  'GET /api/v1/domains/{id}': { min: 'viewer', scope: 'org' },
  'DELETE /api/v1/domains/{id}': { min: 'developer', scope: 'org' },
  'POST /api/v1/domains/{id}/verify': { min: 'developer', scope: 'org' },
  'POST /api/v1/domains/{id}/certificate': { min: 'developer', scope: 'org' },
  'GET /api/v1/certificates': { min: 'viewer', scope: 'list' },
  'POST /api/v1/certificates': { min: 'developer', scope: 'list' },
  'GET /api/v1/certificates/{id}': { min: 'viewer', scope: 'org' },
  'GET /api/v1/organizations/{id}/dns-providers': { min: 'viewer', scope: 'org' },
  'POST /api/v1/organizations/{id}/dns-providers': { min: 'admin', scope: 'org' },
  'DELETE /api/v1/organizations/{id}/dns-providers/{providerId}': { min: 'admin', scope: 'org' },
  // SSH keys and servers (fixtures: serverFixture below).
  'GET /api/v1/ssh-keys': { min: 'viewer', scope: 'list' },
  'POST /api/v1/ssh-keys': { min: 'admin', scope: 'list' },
  'GET /api/v1/ssh-keys/{id}': { min: 'viewer', scope: 'org' },
  'DELETE /api/v1/ssh-keys/{id}': { min: 'admin', scope: 'org' },
  'GET /api/v1/servers': { min: 'viewer', scope: 'list' },
  'POST /api/v1/servers': { min: 'admin', scope: 'list' },
  'GET /api/v1/servers/{id}': { min: 'viewer', scope: 'org' },
  'PATCH /api/v1/servers/{id}': { min: 'admin', scope: 'org' },
  'DELETE /api/v1/servers/{id}': { min: 'admin', scope: 'org' },
  'POST /api/v1/servers/{id}/validate': { min: 'admin', scope: 'org' },
  'POST /api/v1/servers/{id}/accept-host-key': { min: 'admin', scope: 'org' },
  'POST /api/v1/servers/{id}/provision': { min: 'admin', scope: 'org' },
  'GET /api/v1/servers/{id}/provisioning-runs': { min: 'viewer', scope: 'org' },
  'GET /api/v1/servers/{id}/provisioning-runs/{runId}': { min: 'viewer', scope: 'org' },
  'GET /api/v1/servers/{id}/provisioning-runs/{runId}/logs': { min: 'viewer', scope: 'org' },
  'GET /api/v1/servers/{id}/metrics': { min: 'viewer', scope: 'org' },
  // Projects, environments, deployments, webhooks (fixtures: deployFixtures below).
  'POST /api/v1/projects/detect': { min: 'developer', scope: 'list' },
  'GET /api/v1/projects': { min: 'viewer', scope: 'list' },
  'POST /api/v1/projects': { min: 'developer', scope: 'list' },
  'GET /api/v1/projects/{id}': { min: 'viewer', scope: 'org' },
  'PATCH /api/v1/projects/{id}': { min: 'developer', scope: 'org' },
  'DELETE /api/v1/projects/{id}': { min: 'developer', scope: 'org' },
  'POST /api/v1/projects/{id}/clone': { min: 'developer', scope: 'org' },
  'GET /api/v1/projects/{id}/environments': { min: 'viewer', scope: 'org' },
  'POST /api/v1/projects/{id}/environments': { min: 'developer', scope: 'org' },
  'GET /api/v1/environments/{id}': { min: 'viewer', scope: 'org' },
  'PATCH /api/v1/environments/{id}': { min: 'developer', scope: 'org' },
  'DELETE /api/v1/environments/{id}': { min: 'developer', scope: 'org' },
  'GET /api/v1/environments/{id}/variables': { min: 'viewer', scope: 'org' },
  'PUT /api/v1/environments/{id}/variables': { min: 'developer', scope: 'org' },
  'GET /api/v1/environments/{id}/webhook': { min: 'developer', scope: 'org' },
  'POST /api/v1/environments/{id}/webhook/rotate': { min: 'developer', scope: 'org' },
  'GET /api/v1/environments/{id}/deployments': { min: 'viewer', scope: 'org' },
  'POST /api/v1/environments/{id}/deployments': { min: 'developer', scope: 'org' },
  'GET /api/v1/environments/{id}/releases': { min: 'viewer', scope: 'org' },
  'POST /api/v1/environments/{id}/rollback': { min: 'developer', scope: 'org' },
  'POST /api/v1/environments/{id}/maintenance': { min: 'developer', scope: 'org' },
  'GET /api/v1/deployments/{id}': { min: 'viewer', scope: 'org' },
  'GET /api/v1/deployments/{id}/logs': { min: 'viewer', scope: 'org' },
  'POST /api/v1/deployments/{id}/cancel': { min: 'developer', scope: 'org' },
  'POST /api/v1/deployments/{id}/approve': { min: 'admin', scope: 'org' },
  'POST /api/v1/deployments/{id}/reject': { min: 'admin', scope: 'org' },
  'POST /api/v1/hooks/{provider}/{environmentId}': { min: 'public' },
};

const rank: Record<Role, number> = { viewer: 0, developer: 1, admin: 2 };
type ActorName = 'anonymous' | 'outsider' | Role;

interface Op {
  method: string;
  path: string;
  key: string;
  rule: Rule;
}

function order(op: Op): number {
  if (op.path === '/api/v1/auth/logout') return 4; // ends the session: always last
  if (op.key === 'DELETE /api/v1/tokens') return 3.5; // revokes every token: after the one-token delete
  if (op.method === 'DELETE') return 3;
  if (op.method === 'GET') return 1;
  return 2;
}

describe('authorization matrix over the OpenAPI document', () => {
  let t: TestApp;
  let base: string;
  let owner: Session & { organizationId: string };
  const sessions = new Map<ActorName, Session | undefined>();
  const ownTokenIds = new Map<ActorName, string>();
  let targetUserId: string;
  let ops: Op[];
  const serverFixture = { keyId: '', serverId: '', runId: 'prv_matrix' };
  /** Per actor, so one actor's DELETE never removes what the next actor's walk needs. */
  /** Per actor too: a domain (on the hooks environment, which no walk deletes), a DNS provider, and one certificate. */
  const domainFixtures = new Map<ActorName, { domainId: string; dnsProviderId: string }>();
  /** A pending invitation of organization A per actor, for the revocation route. */
  const invitationIds = new Map<ActorName, string>();
  let certificateId = '';
  const deployFixtures = new Map<ActorName, { projectId: string; environmentId: string; deploymentId: string; hookEnvironmentId: string; hookToken: string }>();

  beforeAll(async () => {
    // Domain verification resolves names: a closed loopback port keeps the walk's DNS queries on this machine.
    t = await startTestApp('sqlite', { loginPerMinute: 10_000, env: { DEVFLOW_DNS_SERVERS: '127.0.0.1:9' } });
    owner = await setupOwner(t);
    sessions.set('anonymous', undefined);
    for (const role of ['viewer', 'developer', 'admin'] as const) sessions.set(role, await addMember(t, owner, `${role}@example.test`, role));
    const target = await addMember(t, owner, 'target@example.test', 'viewer');
    targetUserId = target.userId;
    // A member of another organization only: invited there by its own owner.
    const otherOrg = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Other' } });
    const outsider = await addMember(t, { ...owner, organizationId: String(otherOrg.json.id) }, 'outsider@example.test', 'owner');
    sessions.set('outsider', outsider);
    for (const [name, s] of sessions) {
      if (!s) continue;
      await createToken(t, s, ['read']);
      const list = await t.request('GET', '/api/v1/tokens', { session: s });
      ownTokenIds.set(name, String(list.json.data?.[0]?.id));
    }
    // The owner also belongs to "Other"; remove that so the outsider's organization is theirs alone.
    await t.request('DELETE', `/api/v1/organizations/${String(otherOrg.json.id)}/members/${owner.userId}`, { session: outsider });

    // Projects, environments and deployments of organization A (no worker runs: deployments stay queued).
    const key = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'matrix' } });
    const server = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 'matrix', host: '127.0.0.1', port: 22, sshKeyId: key.json.id } });
    for (const actor of sessions.keys()) {
      const mk = (name: string) => t.request('POST', '/api/v1/projects', { session: owner, body: { organizationId: owner.organizationId, name, repositoryUrl: 'https://git.invalid/acme/app.git', framework: 'laravel' } });
      const project = await mk(`matrix-a-${actor}`);
      const other = await mk(`matrix-b-${actor}`);
      const env = await t.request('POST', `/api/v1/projects/${String(other.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [server.json.id] } });
      const dep = await t.request('POST', `/api/v1/environments/${String(env.json.id)}/deployments`, { session: owner, body: {} });
      // Hooks get an environment of their own: the walk rotates the other one's webhook secret.
      const hookEnv = await t.request('POST', `/api/v1/projects/${String(other.json.id)}/environments`, { session: owner, body: { name: 'hooks', serverIds: [server.json.id] } });
      const hook = await t.request('GET', `/api/v1/environments/${String(hookEnv.json.id)}/webhook`, { session: owner });
      const hookToken = new URL(String((hook.json.urls as Record<string, string>).generic)).searchParams.get('token') ?? '';
      deployFixtures.set(actor, { projectId: String(project.json.id), environmentId: String(env.json.id), deploymentId: String(dep.json.id), hookEnvironmentId: String(hookEnv.json.id), hookToken });
      const domain = await t.request('POST', `/api/v1/environments/${String(hookEnv.json.id)}/domains`, { session: owner, body: { hostname: `matrix-${actor}.example.test`, tls: 'acme' } });
      const dns = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/dns-providers`, { session: owner, body: { name: `matrix-${actor}`, kind: 'challtestsrv', config: { managementUrl: 'http://127.0.0.1:9' } } });
      domainFixtures.set(actor, { domainId: String(domain.json.id), dnsProviderId: String(dns.json.id) });
      const inv = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email: `pending-${actor}@example.test`, role: 'viewer' } });
      invitationIds.set(actor, String(inv.json.id));
    }

    // An SSH key and a server of organization A on a closed port, with one finished provisioning run.
    const matrixKey = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'matrix-servers' } });
    serverFixture.keyId = String(matrixKey.json.id);
    const matrixServer = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 'matrix-servers', host: '127.0.0.1', port: 9, sshKeyId: serverFixture.keyId } });
    serverFixture.serverId = String(matrixServer.json.id);
    const at = new Date().toISOString();
    await t.app.db.kysely
      .insertInto('server_provision_runs')
      .values({ id: serverFixture.runId, server_id: serverFixture.serverId, organization_id: owner.organizationId, job_id: null, status: 'failed', options: '{"phpVersion":"8.2","steps":[]}', error: 'fixture', created_by: null, created_at: at, started_at: at, finished_at: at })
      .execute();

    // A stored certificate of organization A (its content does not matter to the walk: reads only).
    certificateId = 'crt_matrix';
    await t.app.db.kysely
      .insertInto('certificates')
      .values({ id: certificateId, organization_id: owner.organizationId, domain_id: null, source: 'custom', subject: 'CN=matrix.example.test', sans: '["matrix.example.test"]', issuer: 'CN=Matrix CA', not_before: '2026-01-01T00:00:00.000Z', not_after: '2036-01-01T00:00:00.000Z', certificate_pem: '-', chain_pem: null, private_key: t.app.box.encrypt('-'), created_at: '2026-01-01T00:00:00.000Z', serial_number: '01', fingerprint: 'AA', key_type: 'ec P-256' })
      .execute();
    base = (await t.app.http?.listen({ host: '127.0.0.1', port: 0 })) ?? '';
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    ops = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const key = `${method.toUpperCase()} ${path}`;
        ops.push({ method: method.toUpperCase(), path, key, rule: matrix[key] as Rule });
      }
    }
    ops.sort((a, b) => order(a) - order(b));
  });
  afterAll(async () => t?.close());

  it('has an expectation for every operation in the OpenAPI document', () => {
    const missing = ops.filter((o) => !o.rule).map((o) => o.key);
    expect(missing, 'add these routes to the matrix with the role they need').toEqual([]);
    const stale = Object.keys(matrix).filter((k) => !ops.some((o) => o.key === k));
    expect(stale, 'the matrix names routes the API no longer has').toEqual([]);
  });

  function urlFor(op: Op, actor: ActorName): string {
    return op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (op.path.startsWith('/api/v1/tokens/')) return ownTokenIds.get(actor) ?? 'tok_none';
      if (name === 'userId') return targetUserId;
      if (name === 'runId') return serverFixture.runId;
      if (name === 'invitationId') return invitationIds.get(actor) ?? 'inv_none';
      if (op.path.startsWith('/api/v1/ssh-keys/')) return serverFixture.keyId;
      if (op.path.startsWith('/api/v1/servers/')) return serverFixture.serverId;
      const f = deployFixtures.get(actor);
      if (f && op.path.startsWith('/api/v1/projects/')) return f.projectId;
      if (f && op.path.startsWith('/api/v1/environments/')) return f.environmentId;
      if (f && op.path.startsWith('/api/v1/deployments/')) return f.deploymentId;
      // A signed generic hook URL: the token rides along as a query string.
      if (f && op.path.startsWith('/api/v1/hooks/')) return name === 'provider' ? 'generic' : `${f.hookEnvironmentId}?token=${f.hookToken}`;
      const df = domainFixtures.get(actor);
      if (df && op.path.startsWith('/api/v1/domains/')) return df.domainId;
      if (df && name === 'providerId') return df.dnsProviderId;
      if (op.path.startsWith('/api/v1/certificates/')) return certificateId;
      if (op.path.startsWith('/api/v1/organizations/')) return owner.organizationId;
      throw new Error(`no fixture for {${name}} in ${op.key}: add one to the matrix test`);
    });
  }

  async function send(op: Op, actor: ActorName): Promise<{ status: number; text: string }> {
    const s = sessions.get(actor);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (s) {
      headers.cookie = `devflow_session=${s.cookie}`;
      headers['x-csrf-token'] = s.csrfToken;
    }
    let body: string | undefined;
    if (op.method !== 'GET') {
      headers['content-type'] = 'application/json';
      body = '{}';
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    try {
      const res = await fetch(base + urlFor(op, actor), { method: op.method, headers, body, signal: controller.signal });
      // Streams (SSE) stay open: the status is what counts.
      const text = res.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await res.text();
      controller.abort();
      return { status: res.status, text };
    } finally {
      clearTimeout(timer);
    }
  }

  async function auditCount(): Promise<number> {
    const row = await t.app.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  function expected(rule: Rule, actor: ActorName): 'allow' | 401 | 403 | 404 {
    if (rule.min === 'public') return 'allow';
    if (actor === 'anonymous') return 401;
    if (rule.min === 'self') return 'allow';
    if (rule.min === 'installation') return 403;
    if (actor === 'outsider') return rule.scope === 'org' ? 404 : 'allow';
    return rank[actor] >= rank[rule.min as Role] ? 'allow' : 403;
  }

  // The event stream is one route with many resources: each event must follow the REST read of what it is about.
  it('streams to each role and project grant only the events it may read', async () => {
    const depOf = async (id: string) => t.app.db.kysely.selectFrom('deployments').select(['id', 'project_id', 'environment_id']).where('id', '=', id).executeTakeFirstOrThrow();
    const deps = await Promise.all([...deployFixtures.values()].map((f) => depOf(f.deploymentId)));
    const granted = await depOf(deployFixtures.get('viewer')?.deploymentId ?? '');
    const inv = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email: 'scoped@example.test', role: 'developer', projectIds: [granted.project_id] } });
    expect((await t.request('POST', '/api/v1/invitations/accept', { body: { token: String(inv.json.url).split('#')[1], name: 'scoped', password: TEST_PASSWORD } })).status).toBe(200);
    const outsider = sessions.get('outsider');
    const otherOrg = (await t.request('GET', '/api/v1/organizations', { session: outsider })).json.data?.[0]?.id as string;
    const otherProject = await t.request('POST', '/api/v1/projects', { session: outsider, body: { organizationId: otherOrg, name: 'theirs', repositoryUrl: 'https://git.invalid/other/app.git', framework: 'laravel' } });

    const readers = new Map<string, SseStream>();
    expect((await openEvents(base, {}, 0)).status).toBe(401);
    for (const role of ['outsider', 'viewer', 'developer', 'admin'] as const) readers.set(role, await openEvents(base, { session: sessions.get(role) }, 0));
    readers.set('developer granted one project', await openEvents(base, { session: await login(t, 'scoped@example.test') }, 0));
    const adminSession = sessions.get('admin');
    if (!adminSession) throw new Error('no admin session');
    readers.set('admin metrics:read token', await openEvents(base, { token: await createToken(t, adminSession, ['metrics:read']) }, 0));
    try {
      for (const d of deps) await t.app.bus.publish({ type: 'deployment.log', organizationId: owner.organizationId, payload: { deploymentId: d.id, environmentId: d.environment_id, lines: [{ seq: 1, line: `log of ${d.id}` }] } });
      const lastA = await t.app.bus.publish({ type: 'deployment.log', organizationId: owner.organizationId, payload: { deploymentId: granted.id, environmentId: granted.environment_id, lines: [] } });
      const lastOther = await t.app.bus.publish({ type: 'project.updated', organizationId: otherOrg, payload: { projectId: otherProject.json.id } });
      const seen = (name: string) => readers.get(name)?.frames ?? [];
      for (const name of ['viewer', 'developer', 'admin', 'developer granted one project']) await until(`${name}'s last event`, () => seen(name).some((f) => f.id === lastA.id));
      await until("the outsider's own event", () => seen('outsider').some((f) => f.id === lastOther.id));
      for (const role of ['viewer', 'developer', 'admin']) {
        expect(seen(role).every((f) => f.data.organizationId === owner.organizationId), role).toBe(true);
        const logged = new Set(seen(role).filter((f) => f.event === 'deployment.log').map((f) => f.data.payload.deploymentId));
        expect([...logged].sort(), role).toEqual(deps.map((d) => d.id).sort());
      }
      const scoped = seen('developer granted one project');
      expect(scoped.map((f) => f.data.payload.deploymentId ?? f.data.payload.projectId).filter((id) => id !== granted.id && id !== granted.project_id)).toEqual([]);
      expect(scoped.some((f) => f.event === 'deployment.created')).toBe(true);
      expect(seen('outsider').map((f) => f.id)).toEqual([lastOther.id]);
      expect(seen('admin metrics:read token')).toEqual([]);
    } finally {
      for (const r of readers.values()) r.close();
    }
  });

  it.each(['anonymous', 'outsider', 'viewer', 'developer', 'admin'] as const)('as %s', async (actor) => {
    const failures: string[] = [];
    for (const op of ops) {
      if (!op.rule) continue;
      const auditBefore = await auditCount();
      const { status, text } = await send(op, actor);
      if (op.method !== 'GET' && status < 300 && (await auditCount()) === auditBefore) {
        failures.push(`${op.key}: changed something (${status}) without an audit row`);
      }
      const want = expected(op.rule, actor);
      const ok = want === 'allow' ? ![401, 403, 404].includes(status) && status < 500 : status === want;
      if (!ok) failures.push(`${op.key}: got ${status}, want ${want} ${text.slice(0, 160)}`);
      if (status >= 500) failures.push(`${op.key}: server error ${status}`);
      if (actor === 'outsider' && want === 'allow' && status < 300 && text.includes(owner.organizationId)) {
        failures.push(`${op.key}: leaked organization A to an outsider`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('keeps the owner able to sign in after the walk', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD } });
    expect(res.status).toBe(200);
  });
});

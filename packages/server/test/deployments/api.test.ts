/**
 * Projects, detection, environments, variables, approvals, cancel and
 * webhooks through the HTTP API, on SQLite and PostgreSQL. No worker runs
 * here, so deployments stay queued: the lab tests cover running them.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, createToken, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { laravelTree, shopwareTree, staticTree, symfonyTree, wordpressTree } from '../fixtures/deploy-repos.js';
import { FixtureRepo } from './support/git-fixture.js';

type Owner = Session & { organizationId: string };

describe.each(dialects)('deployments API on %s', (dialect) => {
  let t: TestApp;
  let owner: Owner;
  let viewer: Session;
  let developer: Session;
  let admin: Session;
  let serverId: string;
  let laravel: FixtureRepo;

  beforeAll(async () => {
    t = await startTestApp(dialect, { deployments: { allowLocalRepositories: true }, loginPerMinute: 1000 });
    owner = await setupOwner(t);
    viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    developer = await addMember(t, owner, 'dev@example.test', 'developer');
    admin = await addMember(t, owner, 'admin@example.test', 'admin');
    const key = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'k' } });
    const srv = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 'web', host: '127.0.0.1', port: 22, sshKeyId: key.json.id } });
    serverId = String(srv.json.id);
    laravel = FixtureRepo.create('laravel', laravelTree('v1'));
  });
  afterAll(async () => t?.close());

  async function project(name: string, repositoryUrl = laravel.url, extra: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name, repositoryUrl, ...extra } });
    expect(res.status, res.text).toBe(201);
    return res.json as Record<string, unknown> & { id: string; slug: string };
  }
  async function environment(projectId: string, body: Record<string, unknown> = {}) {
    // Attaching servers is an admin's decision (issue 11): the owner creates environments with servers.
    const res = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: owner, body: { name: 'production', serverIds: [serverId], ...body } });
    expect(res.status, res.text).toBe(201);
    return res.json as Record<string, unknown> & { id: string };
  }

  describe('projects and detection', () => {
    it('creates a project with an ed25519 deploy key (private half sealed) and detects its framework', async () => {
      const p = await project('My Shop!');
      expect(p).toMatchObject({ name: 'My Shop!', slug: 'my-shop', framework: 'laravel', detectError: null });
      expect((p.deployKey as { publicKey: string }).publicKey).toMatch(/^ssh-ed25519 AAAA\S+ devflow-deploy-my-shop$/);
      expect((p.deployKey as { fingerprint: string }).fingerprint).toMatch(/^SHA256:/);
      expect((p.detection as { signals: string[] }).signals).toContain('artisan present');
      expect(JSON.stringify(p)).not.toContain('PRIVATE KEY');
      const row = await t.app.db.kysely.selectFrom('projects').select(['deploy_private_key']).where('id', '=', p.id).executeTakeFirstOrThrow();
      expect(row.deploy_private_key).toMatch(/^v1:/);
      expect(t.app.box.decrypt(row.deploy_private_key as string)).toContain('BEGIN OPENSSH PRIVATE KEY');
      // A second project with the same name gets 409; the slug of a similar name is made unique.
      expect((await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name: 'My Shop!', repositoryUrl: laravel.url } })).status).toBe(409);
      expect((await project('My  Shop')).slug).toBe('my-shop-2');
    });

    it('detects each framework from a branch and lists the signals', async () => {
      const repos = {
        laravel,
        symfony: FixtureRepo.create('symfony', symfonyTree('v1')),
        shopware: FixtureRepo.create('shopware', shopwareTree('v1')),
        wordpress: FixtureRepo.create('wordpress', wordpressTree('v1')),
        static: FixtureRepo.create('static', staticTree('v1')),
        dockerfile: FixtureRepo.create('docker', { Dockerfile: 'FROM scratch\n', 'main.go': 'package main\n' }),
        bedrock: FixtureRepo.create('bedrock', { 'composer.json': JSON.stringify({ require: { php: '>=8.1', 'roots/wordpress': '^6.4' } }), 'config/application.php': '<?php\n', 'web/wp-config.php': '<?php\n' }),
        php: FixtureRepo.create('php', { 'index.php': '<?php echo 1;\n', 'package.json': JSON.stringify({ scripts: { build: 'vite build' } }), 'yarn.lock': '' }),
      };
      for (const [framework, repo] of Object.entries(repos)) {
        const res = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl: repo.url, branch: 'main' } });
        expect(res.status, res.text).toBe(200);
        expect(res.json.framework, framework).toBe(framework);
        expect(res.json.commit).toBe(repo.head());
        expect((res.json.signals as string[]).length).toBeGreaterThan(0);
      }
      const sf = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl: repos.shopware.url } });
      expect(sf.json).toMatchObject({ framework: 'shopware', phpVersion: '8.2', frameworkVersion: '6' });
      const php = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl: repos.php.url } });
      expect(php.json.nodeBuild).toEqual({ packageManager: 'yarn', script: 'build' });
      // Multi-tenancy on a branch.
      laravel.commit({ 'composer.json': JSON.stringify({ require: { php: '^8.3', 'laravel/framework': '^10.0', 'stancl/tenancy': '^3.8' } }) }, 'tenancy', { branch: 'tenants' });
      const tenants = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl: laravel.url, branch: 'tenants' } });
      expect(tenants.json).toMatchObject({ framework: 'laravel', multiTenancy: 'stancl', phpVersion: '8.3', frameworkVersion: '10', healthCheckPath: '/' });
    });

    it('answers 422 for a branch or repository it cannot read, and refuses dangerous URLs', async () => {
      const missing = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl: laravel.url, branch: 'nope' } });
      expect(missing.status).toBe(422);
      expect(missing.json.code).toBe('project.repository_unreachable');
      for (const repositoryUrl of ['ext::sh -c touch% /tmp/pwned', '-uhelp', 'ftp://example.test/x.git', 'fd::17', 'https://']) {
        const res = await t.request('POST', '/api/v1/projects/detect', { session: developer, body: { repositoryUrl, branch: 'main' } });
        expect(res.status, repositoryUrl).toBe(400);
      }
      // A project whose repository cannot be read yet is created; detection waits for the first deployment.
      const p = await project('Later', '/nonexistent/repo.git');
      expect(p).toMatchObject({ framework: null, detection: null });
      expect(String(p.detectError)).toMatch(/Cannot read branch main/);
      const viewerDetect = await t.request('POST', '/api/v1/projects/detect', { session: viewer, body: { repositoryUrl: laravel.url } });
      expect(viewerDetect.status).toBe(403);
    });

    it('updates, lists, clones with environments and variables, and deletes', async () => {
      const p = await project('Blog', laravel.url, { framework: 'wordpress' });
      expect(p.framework).toBe('wordpress');
      const env = await environment(p.id, { name: 'staging', branch: 'develop' });
      await t.request('PUT', `/api/v1/environments/${env.id}/variables`, { session: developer, body: { variables: { A: '1', SECRET: 's3cr3t-value' } } });
      const patched = await t.request('PATCH', `/api/v1/projects/${p.id}`, { session: developer, body: { name: 'Blog 2' } });
      expect(patched.json.name).toBe('Blog 2');
      const list = await t.request('GET', '/api/v1/projects', { session: viewer });
      expect(list.json.data?.map((x) => x.id)).toContain(p.id);
      const clone = await t.request('POST', `/api/v1/projects/${p.id}/clone`, { session: developer, body: { name: 'Blog copy' } });
      expect(clone.status, clone.text).toBe(201);
      const envs = await t.request('GET', `/api/v1/projects/${String(clone.json.id)}/environments`, { session: developer });
      expect(envs.json.data?.map((e) => [e.name, e.branch])).toEqual([['staging', 'develop']]);
      const vars = await t.request('GET', `/api/v1/environments/${String(envs.json.data?.[0]?.id)}/variables`, { session: developer });
      expect(vars.json.variables).toEqual({ A: '1', SECRET: 's3cr3t-value' });
      expect((await t.request('DELETE', `/api/v1/projects/${p.id}`, { session: developer })).status).toBe(204);
      expect((await t.request('GET', `/api/v1/projects/${p.id}`, { session: developer })).status).toBe(404);
      expect((await t.request('GET', `/api/v1/environments/${env.id}`, { session: developer })).status).toBe(404);
    });
  });

  describe('environments', () => {
    let projectId: string;
    beforeAll(async () => {
      projectId = (await project('Envs')).id;
    });

    it('defaults the health check to /up for Laravel 11 and gives each environment its own preview port', async () => {
      const a = await environment(projectId, { name: 'production' });
      const b = await environment(projectId, { name: 'staging', branch: 'develop', requiresApproval: true, keepReleases: 3 });
      expect(a).toMatchObject({ name: 'production', branch: 'main', strategy: 'release', requiresApproval: false, healthCheckPath: '/up', keepReleases: 5, maintenance: false, currentReleaseId: null, serverIds: [serverId], hostname: 'production.envs.devflow.internal' });
      expect(b).toMatchObject({ requiresApproval: true, keepReleases: 3 });
      expect(b.previewPort).not.toBe(a.previewPort);
      const dup = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'production' } });
      expect(dup.status).toBe(409);
      const patched = await t.request('PATCH', `/api/v1/environments/${a.id}`, { session: developer, body: { branch: 'release/2.0', keepReleases: 2, settings: { hooks: { build: ['npm run lint'] } } } });
      expect(patched.json).toMatchObject({ branch: 'release/2.0', keepReleases: 2, settings: { hooks: { build: ['npm run lint'] } } });
    });

    it('refuses invalid branch and environment names, unknown servers and a strategy the contract does not name', async () => {
      const bad = ['-upload-pack=touch /tmp/pwned', 'a b', 'x..y', 'x~1', 'x^', 'a:b', 'x?', 'x*', 'x[', 'x\\y', '.hidden', 'x.lock', 'x/', '/x', 'a@{1}', '@', 'x\ny', ''];
      for (const branch of bad) {
        const res = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'bad', branch } });
        expect(res.status, JSON.stringify(branch)).toBe(400);
      }
      // Odd but valid Git branch names are accepted: they only ever travel as argv.
      const odd = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'odd', branch: 'feat/$(touch${IFS}x)' } });
      expect(odd.status, odd.text).toBe(201);
      for (const name of ['Production', 'a--b', '-a', 'x'.repeat(21), 'a/b']) {
        expect((await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name } })).status, name).toBe(400);
      }
      const other = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'other', serverIds: ['srv_elsewhere'] } });
      expect(other.status).toBe(400);
      expect(other.json.code).toBe('environment.unknown_server');
      const docker = await t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: developer, body: { name: 'dock', strategy: 'docker' } });
      expect(docker.status).toBe(400);
      expect(docker.json).toMatchObject({ code: 'request.validation', errors: [expect.objectContaining({ field: 'body.strategy' })] });
    });
  });

  describe('variables', () => {
    let envId: string;
    beforeAll(async () => {
      envId = (await environment((await project('Vars')).id)).id;
    });

    it('stores values sealed and versioned; masks them unless the caller has secrets:read', async () => {
      const put = await t.request('PUT', `/api/v1/environments/${envId}/variables`, { session: developer, body: { variables: { APP_KEY: 'base64:abc123==', DB_PASSWORD: "p@ss'w\"$(rm -rf /)" } } });
      expect(put.status, put.text).toBe(200);
      expect(put.json).toMatchObject({ masked: false, version: 1, variables: { APP_KEY: 'base64:abc123==', DB_PASSWORD: "p@ss'w\"$(rm -rf /)" } });
      const rows = await t.app.db.kysely.selectFrom('env_vars').select(['key', 'value', 'version']).where('environment_id', '=', envId).execute();
      expect(rows.every((r) => r.value.startsWith('v1:') && !r.value.includes('abc123'))).toBe(true);

      expect((await t.request('GET', `/api/v1/environments/${envId}/variables`, { session: viewer })).json).toMatchObject({ masked: true, variables: { APP_KEY: null, DB_PASSWORD: null } });
      const readToken = await createToken(t, developer, ['read']);
      expect((await t.request('GET', `/api/v1/environments/${envId}/variables`, { token: readToken })).json.masked).toBe(true);
      const secretsToken = await createToken(t, developer, ['secrets:read']);
      expect((await t.request('GET', `/api/v1/environments/${envId}/variables`, { token: secretsToken })).json.variables).toMatchObject({ APP_KEY: 'base64:abc123==' });
      expect((await t.request('PUT', `/api/v1/environments/${envId}/variables`, { session: viewer, body: { variables: {} } })).status).toBe(403);

      // Replacing the set deletes missing keys and bumps the version; an identical set does not.
      const second = await t.request('PUT', `/api/v1/environments/${envId}/variables`, { session: developer, body: { variables: { APP_KEY: 'base64:new==', NEW: 'x' } } });
      expect(second.json).toMatchObject({ version: 2, variables: { APP_KEY: 'base64:new==', NEW: 'x' } });
      expect(Object.keys(second.json.variables as object)).toEqual(['APP_KEY', 'NEW']);
      const same = await t.request('PUT', `/api/v1/environments/${envId}/variables`, { session: developer, body: { variables: { APP_KEY: 'base64:new==', NEW: 'x' } } });
      expect(same.json.version).toBe(2);
      const versions = await t.app.db.kysely.selectFrom('env_var_versions').select(['version', 'snapshot']).where('environment_id', '=', envId).orderBy('version').execute();
      expect(versions.map((v) => v.version)).toEqual([1, 2]);
      expect(JSON.parse(t.app.box.decrypt(versions[0]?.snapshot as string))).toMatchObject({ APP_KEY: 'base64:abc123==' });
      // The audit names keys, never values.
      const audit = await t.app.db.kysely.selectFrom('audit_events').select('diff').where('action', '=', 'environment.variables.update').where('target_id', '=', envId).execute();
      expect(audit).toHaveLength(2);
      expect(audit.map((a) => a.diff).join()).not.toMatch(/abc123|new==|rm -rf/);
      expect(JSON.parse(audit[1]?.diff as string)).toEqual({ added: ['NEW'], changed: ['APP_KEY'], removed: ['DB_PASSWORD'] });
      for (const bad of [{ '1X': 'a' }, { 'A-B': 'a' }, { A: 'nul\0' }]) {
        expect((await t.request('PUT', `/api/v1/environments/${envId}/variables`, { session: developer, body: { variables: bad } })).status).toBe(400);
      }
    });
  });

  describe('deployments without a worker', () => {
    let projectId: string;
    beforeAll(async () => {
      projectId = (await project('Deploys')).id;
    });

    it('needs a server, queues a job with the priority, cancels a queued deployment and refuses a second cancel', async () => {
      const bare = await environment(projectId, { name: 'bare', serverIds: [] });
      const none = await t.request('POST', `/api/v1/environments/${bare.id}/deployments`, { session: developer, body: {} });
      expect(none.status).toBe(409);
      expect(none.json.code).toBe('deployment.no_servers');
      const env = await environment(projectId, { name: 'queue' });
      const res = await t.request('POST', `/api/v1/environments/${env.id}/deployments`, { session: developer, body: { priority: 7 } });
      expect(res.status, res.text).toBe(202);
      expect(res.json).toMatchObject({ status: 'queued', ref: 'main', trigger: 'manual', priority: 7, kind: 'deploy' });
      expect((res.json.steps as { name: string; status: string }[]).map((s) => s.status)).toEqual(Array(12).fill('pending'));
      const row = await t.app.db.kysely.selectFrom('deployments').select('job_id').where('id', '=', String(res.json.id)).executeTakeFirstOrThrow();
      const job = await t.app.queue.get(row.job_id as string);
      expect(job).toMatchObject({ priority: 7, status: 'queued', concurrency_key: `deploy:${env.id}` });
      const token = await createToken(t, developer, ['deploy']);
      const viaToken = await t.request('POST', `/api/v1/environments/${env.id}/deployments`, { token, body: { ref: 'v1.2.3' } });
      expect(viaToken.json).toMatchObject({ trigger: 'api', ref: 'v1.2.3' });
      const bad = await t.request('POST', `/api/v1/environments/${env.id}/deployments`, { session: developer, body: { ref: '--upload-pack=x' } });
      expect(bad.status).toBe(400);

      const cancel = await t.request('POST', `/api/v1/deployments/${String(res.json.id)}/cancel`, { session: developer });
      expect(cancel.json).toMatchObject({ status: 'cancelled' });
      expect((cancel.json.steps as { status: string }[]).every((s) => s.status === 'cancelled')).toBe(true);
      expect((await t.app.queue.get(row.job_id as string)).status).toBe('cancelled');
      expect((await t.request('POST', `/api/v1/deployments/${String(res.json.id)}/cancel`, { session: developer })).status).toBe(409);
      const rollback = await t.request('POST', `/api/v1/environments/${env.id}/rollback`, { session: developer, body: {} });
      expect(rollback.status).toBe(409);
      expect(rollback.json.code).toBe('release.none_to_roll_back_to');
    });

    it('waits for approval: admins approve (audited) or reject; developers cannot', async () => {
      const env = await environment(projectId, { name: 'gated', requiresApproval: true });
      const a = await t.request('POST', `/api/v1/environments/${env.id}/deployments`, { session: developer, body: {} });
      expect(a.json.status).toBe('awaiting_approval');
      const jobs = await t.app.db.kysely.selectFrom('jobs').select('id').where('payload', 'like', `%${String(a.json.id)}%`).execute();
      expect(jobs).toHaveLength(0);
      expect((await t.request('POST', `/api/v1/deployments/${String(a.json.id)}/approve`, { session: developer })).status).toBe(403);
      const ok = await t.request('POST', `/api/v1/deployments/${String(a.json.id)}/approve`, { session: admin });
      expect(ok.json).toMatchObject({ status: 'queued', approvedBy: expect.any(String) });
      expect((await t.request('POST', `/api/v1/deployments/${String(a.json.id)}/approve`, { session: admin })).status).toBe(409);
      const b = await t.request('POST', `/api/v1/environments/${env.id}/deployments`, { session: developer, body: {} });
      const rejected = await t.request('POST', `/api/v1/deployments/${String(b.json.id)}/reject`, { session: admin, body: { reason: 'not on a Friday' } });
      expect(rejected.json).toMatchObject({ status: 'cancelled', error: 'Rejected by admin@example.test: not on a Friday' });
      const audit = await t.app.db.kysely.selectFrom('audit_events').select(['action', 'target_id']).where('action', 'in', ['deployment.approve', 'deployment.reject']).execute();
      expect(audit.map((x) => [x.action, x.target_id])).toEqual(expect.arrayContaining([['deployment.approve', a.json.id], ['deployment.reject', b.json.id]]));
      const c = await t.request('POST', `/api/v1/environments/${env.id}/deployments`, { session: developer, body: {} });
      expect((await t.request('POST', `/api/v1/deployments/${String(c.json.id)}/cancel`, { session: developer })).json.status).toBe('cancelled');
    });
  });

  describe('webhooks', () => {
    let env: { id: string };
    let gated: { id: string };
    let secret: string;
    let urls: Record<string, string>;
    beforeAll(async () => {
      const p = await project('Hooks');
      env = await environment(p.id, { name: 'production', branch: 'main' });
      gated = await environment(p.id, { name: 'gated', branch: 'main', requiresApproval: true });
      const info = await t.request('GET', `/api/v1/environments/${env.id}/webhook`, { session: developer });
      expect(info.status).toBe(200);
      secret = String(info.json.secret);
      urls = info.json.urls as Record<string, string>;
      expect((await t.request('GET', `/api/v1/environments/${env.id}/webhook`, { session: viewer })).status).toBe(403);
    });

    const sha = 'a'.repeat(40);
    const sign = (body: string, s = secret) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;
    const hook = (provider: string, body: string, headers: Record<string, string>, query = '', envId = env.id) =>
      t.request('POST', `/api/v1/hooks/${provider}/${envId}${query}`, { body, headers: { 'content-type': 'application/json', ...headers } });
    async function rejections(): Promise<number> {
      const r = await t.app.db.kysely.selectFrom('audit_events').select('id').where('action', '=', 'webhook.rejected').execute();
      return r.length;
    }

    it('GitHub: verifies X-Hub-Signature-256, answers ping, de-duplicates, follows the branch, ignores deletions', async () => {
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.' });
      expect((await hook('github', ping, { 'x-github-event': 'ping', 'x-hub-signature-256': sign(ping), 'x-github-delivery': 'd-ping' })).json.outcome).toBe('pong');
      const push = JSON.stringify({ ref: 'refs/heads/main', after: sha, deleted: false, pusher: { name: 'ada' } });
      const ok = await hook('github', push, { 'x-github-event': 'push', 'x-hub-signature-256': sign(push), 'x-github-delivery': 'd-1' });
      expect(ok.status, ok.text).toBe(202);
      expect(ok.json).toMatchObject({ outcome: 'deployed', reason: 'pushed by ada' });
      const dep = await t.request('GET', `/api/v1/deployments/${String(ok.json.deploymentId)}`, { session: viewer });
      expect(dep.json).toMatchObject({ trigger: 'webhook:github', ref: 'main', commit: sha, status: 'queued' });
      const again = await hook('github', push, { 'x-github-event': 'push', 'x-hub-signature-256': sign(push), 'x-github-delivery': 'd-1' });
      expect(again.json.outcome).toBe('duplicate');
      const other = JSON.stringify({ ref: 'refs/heads/feature', after: sha });
      expect((await hook('github', other, { 'x-github-event': 'push', 'x-hub-signature-256': sign(other), 'x-github-delivery': 'd-2' })).json).toMatchObject({ outcome: 'ignored', reason: 'push to feature; this environment follows main' });
      const deleted = JSON.stringify({ ref: 'refs/heads/main', after: '0'.repeat(40), deleted: true });
      expect((await hook('github', deleted, { 'x-github-event': 'push', 'x-hub-signature-256': sign(deleted), 'x-github-delivery': 'd-3' })).json).toMatchObject({ outcome: 'ignored', reason: 'branch main was deleted' });
      const tag = JSON.stringify({ ref: 'refs/tags/v1', after: sha });
      expect((await hook('github', tag, { 'x-github-event': 'push', 'x-hub-signature-256': sign(tag), 'x-github-delivery': 'd-4' })).json.outcome).toBe('ignored');
      // Form-encoded deliveries are signed over the raw form body.
      const form = `payload=${encodeURIComponent(push)}`;
      const formRes = await t.request('POST', `/api/v1/hooks/github/${env.id}`, { body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-hub-signature-256': sign(form), 'x-github-delivery': 'd-5' } });
      expect(formRes.status, formRes.text).toBe(202);

      const before = await rejections();
      const forged = await hook('github', push, { 'x-github-event': 'push', 'x-hub-signature-256': sign(push, 'wrong-secret'), 'x-github-delivery': 'd-6' });
      expect(forged.status).toBe(401);
      expect(forged.json.code).toBe('webhook.bad_signature');
      const tampered = await hook('github', push.replace('main', 'main '), { 'x-github-event': 'push', 'x-hub-signature-256': sign(push) });
      expect(tampered.status).toBe(401);
      expect((await hook('github', push, { 'x-github-event': 'push' })).status).toBe(401);
      // One audit row per environment and minute, however many are refused (issue 11): the others are counted in metrics.
      expect(await rejections()).toBe(before + 1);
      const row = await t.app.db.kysely.selectFrom('audit_events').select(['organization_id', 'actor_type', 'diff']).where('action', '=', 'webhook.rejected').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(row).toMatchObject({ organization_id: owner.organizationId, actor_type: 'anonymous' });
      expect(JSON.parse(row.diff as string)).toEqual({ provider: 'github', reason: 'bad X-Hub-Signature-256' });
      expect(t.app.deployments.webhooks.rejections.get('github')).toBeGreaterThanOrEqual(3);
      expect((await hook('github', push, { 'x-github-event': 'push', 'x-hub-signature-256': sign(push) }, '', 'env_unknown')).status).toBe(404);
    });

    it('GitLab: compares X-Gitlab-Token in constant time; a zero `after` is a deletion', async () => {
      const push = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', after: sha, checkout_sha: sha, user_username: 'grace' });
      const ok = await hook('gitlab', push, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret, 'x-gitlab-event-uuid': 'gl-1' });
      expect(ok.status).toBe(202);
      expect((await hook('gitlab', push, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret, 'x-gitlab-event-uuid': 'gl-1' })).json.outcome).toBe('duplicate');
      const del = JSON.stringify({ ref: 'refs/heads/main', after: '0'.repeat(40) });
      expect((await hook('gitlab', del, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret })).json.outcome).toBe('ignored');
      expect((await hook('gitlab', push, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': `${secret}x` })).status).toBe(401);
      expect((await hook('gitlab', push, { 'x-gitlab-event': 'Tag Push Hook', 'x-gitlab-token': secret })).json).toMatchObject({ outcome: 'ignored', reason: 'event Tag Push Hook is not a push' });
    });

    it('Bitbucket Cloud: X-Hub-Signature over the body; push.changes[].new, null when deleted', async () => {
      const push = JSON.stringify({ actor: { nickname: 'linus' }, push: { changes: [{ new: { type: 'branch', name: 'main', target: { hash: sha } }, old: { type: 'branch', name: 'main' } }] } });
      const ok = await hook('bitbucket', push, { 'x-event-key': 'repo:push', 'x-hub-signature': sign(push), 'x-request-uuid': 'bb-1' });
      expect(ok.status, ok.text).toBe(202);
      const dep = await t.request('GET', `/api/v1/deployments/${String(ok.json.deploymentId)}`, { session: viewer });
      expect(dep.json).toMatchObject({ trigger: 'webhook:bitbucket', commit: sha });
      const del = JSON.stringify({ push: { changes: [{ new: null, old: { type: 'branch', name: 'main' } }] } });
      expect((await hook('bitbucket', del, { 'x-event-key': 'repo:push', 'x-hub-signature': sign(del) })).json).toMatchObject({ outcome: 'ignored', reason: 'branch main was deleted' });
      expect((await hook('bitbucket', push, { 'x-event-key': 'repo:push', 'x-hub-signature': sign(push, 'nope') })).status).toBe(401);
    });

    it('generic: the signed URL or a body signature; an approval-gated environment waits', async () => {
      const token = new URL(urls.generic as string).searchParams.get('token') as string;
      const ok = await hook('generic', '', {}, `?token=${token}`);
      expect(ok.status, ok.text).toBe(202);
      const body = JSON.stringify({ branch: 'main', commit: sha });
      expect((await hook('generic', body, { 'x-devflow-signature': sign(body) })).status).toBe(202);
      const forged = await hook('generic', body, {}, `?token=${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`);
      expect(forged.status, forged.text).toBe(401);
      expect((await hook('generic', body, {}, `?token=${token}`, gated.id)).status).toBe(401);
      const gatedInfo = await t.request('GET', `/api/v1/environments/${gated.id}/webhook`, { session: developer });
      const gatedToken = new URL(String((gatedInfo.json.urls as Record<string, string>).generic)).searchParams.get('token') as string;
      const waiting = await hook('generic', body, {}, `?token=${gatedToken}`, gated.id);
      const dep = await t.request('GET', `/api/v1/deployments/${String(waiting.json.deploymentId)}`, { session: viewer });
      expect(dep.json.status).toBe('awaiting_approval');
      // A rotated secret invalidates the old URL.
      const rotated = await t.request('POST', `/api/v1/environments/${env.id}/webhook/rotate`, { session: developer });
      expect(rotated.json.secret).not.toBe(secret);
      expect((await hook('generic', '', {}, `?token=${token}`)).status).toBe(401);
    });
  });
});

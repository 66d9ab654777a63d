import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { labAvailable, type LabServer } from '../support/lab.js';
import { createKey, createServer, startServer, waitFor } from './lab-fixtures.js';

const lab = await labAvailable();
/** Opt-in: every step, installing from the Debian mirror the lab containers reach (slow, downloads packages). */
const withApt = process.env.DEVFLOW_LAB_APT === '1';

type Run = { id: string; status: string; changed: boolean; error: string | null; steps: { name: string; status: string; reason: string | null }[] };

describe.skipIf(!lab)('provisioning on the lab', () => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let vps: LabServer;
  let serverId: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    t.app.worker.start();
    owner = await setupOwner(t);
    const key = await createKey(t, owner, 'prov');
    vps = await startServer({ authorizedKey: key.publicKey });
    serverId = (await createServer(t, owner, { name: 'prov', host: vps.host, port: vps.port, sshKeyId: key.id })).id;
    const v = await t.request('POST', `/api/v1/servers/${serverId}/validate`, { session: owner });
    expect(v.status, v.text).toBe(200);
  });
  afterAll(async () => {
    await t?.app.worker.stop();
    await vps?.stop();
    await t?.close();
  });

  async function provision(body: Record<string, unknown>, timeoutMs = 120_000): Promise<Run> {
    const res = await t.request('POST', `/api/v1/servers/${serverId}/provision`, { session: owner, body });
    expect(res.status, res.text).toBe(202);
    expect(res.json.jobId).toEqual(expect.any(String));
    const runId = String((res.json.run as Run).id);
    return waitFor('the provisioning run to finish', async () => {
      const r = await t.request('GET', `/api/v1/servers/${serverId}/provisioning-runs/${runId}`, { session: owner });
      const run = r.json as unknown as Run;
      return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
    }, timeoutMs, 250);
  }

  const steps = ['layout', 'base-packages', 'nginx', 'php-fpm', 'docker', 'ufw', 'fail2ban'];

  it('installs what is missing, then a second run reports no change', async () => {
    await vps.exec(['service', 'nginx', 'stop']);
    const first = await provision({ steps });
    expect(first.status, JSON.stringify(first)).toBe('succeeded');
    expect(first.changed).toBe(true);
    const byName = Object.fromEntries(first.steps.map((s) => [s.name, s]));
    expect(first.steps.map((s) => s.name)).toEqual(steps);
    expect(byName.layout?.status).toBe('changed');
    expect(byName.nginx).toMatchObject({ status: 'changed', reason: 'started nginx' });
    expect(byName['base-packages']?.status).toBe('unchanged');
    expect(byName['php-fpm']?.status).toBe('unchanged');
    for (const s of ['docker', 'ufw', 'fail2ban']) {
      expect(byName[s]?.status).toBe('skipped');
      expect(byName[s]?.reason).toMatch(/container/);
    }
    const layout = await vps.exec(['stat', '-c', '%n %a %U', '/srv/devflow', '/srv/devflow/apps', '/srv/devflow/backups', '/srv/devflow/tmp', '/srv/devflow/bin']);
    expect(layout.stdout.trim().split('\n')).toEqual(['/srv/devflow 755 root', '/srv/devflow/apps 755 root', '/srv/devflow/backups 700 root', '/srv/devflow/tmp 1777 root', '/srv/devflow/bin 755 root']);
    expect((await vps.exec(['service', 'nginx', 'status'])).code).toBe(0);

    const second = await provision({ steps });
    expect(second.status).toBe('succeeded');
    expect(second.changed).toBe(false);
    for (const s of second.steps) expect(['unchanged', 'skipped'], `${s.name}: ${s.status} ${s.reason}`).toContain(s.status);

    // The log is stored line by line and was published as events; the server shows its latest run.
    const logs = await t.request('GET', `/api/v1/servers/${serverId}/provisioning-runs/${second.id}/logs`, { session: owner });
    const lines = (logs.json.data ?? []) as unknown as { seq: number; step: string; stream: string; line: string }[];
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.map((l) => l.line)).toContain('==> layout');
    expect(lines.some((l) => l.step === 'nginx' && l.line.startsWith('<== nginx: unchanged'))).toBe(true);
    const after = await t.request('GET', `/api/v1/servers/${serverId}/provisioning-runs/${second.id}/logs?after=${lines.length - 2}`, { session: owner });
    expect(after.json.data).toHaveLength(2);
    const events = await t.app.db.kysely.selectFrom('events').select(['type', 'organization_id', 'payload']).where('type', 'like', 'server.provision.%').execute();
    expect(events.some((e) => e.type === 'server.provision.log' && e.organization_id === owner.organizationId)).toBe(true);
    expect(events.filter((e) => e.type === 'server.provision.finished')).toHaveLength(2);
    const server = await t.request('GET', `/api/v1/servers/${serverId}`, { session: owner });
    expect((server.json.latestProvisionRun as Run).id).toBe(second.id);
    const runs = await t.request('GET', `/api/v1/servers/${serverId}/provisioning-runs`, { session: owner });
    expect(runs.json.data?.map((r) => r.id)).toEqual([second.id, first.id]);
  });

  it('reports a clear failure for a PHP version the server cannot install, and stops there', async () => {
    // No apt sources: nothing is downloaded, and apt finds no PHP 5.6 — like a distribution that does not ship it.
    await vps.exec(['sh', '-c', 'mv /etc/apt/sources.list /etc/apt/sources.list.off']);
    try {
      const run = await provision({ steps: ['php-fpm', 'restic'], phpVersion: '5.6' });
      expect(run.status).toBe('failed');
      const php = run.steps.find((s) => s.name === 'php-fpm');
      expect(php?.status).toBe('failed');
      expect(php?.reason).toMatch(/^PHP 5\.6 is not available from this server's apt sources \(Debian GNU\/Linux 12/);
      expect(run.steps.find((s) => s.name === 'restic')).toMatchObject({ status: 'skipped', reason: 'an earlier step failed' });
      expect(run.error).toMatch(/^php-fpm: PHP 5\.6 is not available/);
    } finally {
      await vps.exec(['sh', '-c', 'mv /etc/apt/sources.list.off /etc/apt/sources.list']);
    }
  });

  it.skipIf(!withApt)('installs every step from the Debian mirror, and a second full run changes nothing', async () => {
    const first = await provision({}, 15 * 60_000);
    expect(first.status, JSON.stringify(first)).toBe('succeeded');
    const second = await provision({}, 5 * 60_000);
    expect(second.changed, JSON.stringify(second.steps)).toBe(false);
    const facts = (await t.request('GET', `/api/v1/servers/${serverId}`, { session: owner })).json.facts as { tools: Record<string, unknown> };
    expect(facts.tools.composer).toEqual(expect.any(String));
    expect(facts.tools.restic).toEqual(expect.any(String));
  }, 25 * 60_000);
});

/** A control plane with a worker and one validated lab server, plus helpers to drive deployments through the API. */
import { expect } from 'vitest';
import type { AppOptions } from '../../../src/app.js';
import { ALLOW_LOOPBACK_ENV, setupOwner, startTestApp, type Session, type TestApp } from '../../support/app.js';
import { startServer, type LabServer } from '../../support/lab.js';
import { createKey, createServer, loopbackLookup, waitFor } from '../../servers/lab-fixtures.js';

export type Owner = Session & { organizationId: string };

export interface Deployment {
  id: string;
  status: string;
  kind: string;
  commit: string | null;
  commitMessage: string | null;
  commitAuthor: string | null;
  releaseId: string | null;
  error: string | null;
  trigger: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: { name: string; status: string; startedAt: string | null; finishedAt: string | null; exitCode: number | null; detail: string | null }[];
}

export interface DeployLab {
  t: TestApp;
  owner: Owner;
  vps: LabServer;
  serverId: string;
  close(): Promise<void>;
}

/**
 * Starts the app (SQLite, worker running unless `startWorker: false`, local
 * repositories allowed) and a validated lab server running `services` at boot
 * (default nginx and php8.2-fpm).
 */
export async function startDeployLab(opts: Partial<AppOptions> & { env?: Record<string, string>; startWorker?: boolean; services?: string[] } = {}): Promise<DeployLab> {
  const { startWorker = true, services, ...appOpts } = opts;
  const t = await startTestApp('sqlite', {
    ...appOpts,
    env: { ...ALLOW_LOOPBACK_ENV, ...appOpts.env },
    servers: { ssh: { lookup: loopbackLookup, connectTimeoutMs: 5000 } },
    deployments: { allowLocalRepositories: true, lockWaitMs: 20_000, ...appOpts.deployments },
  });
  if (startWorker) t.app.worker.start();
  const owner = await setupOwner(t);
  const key = await createKey(t, owner, 'deploy-lab');
  const vps = await startServer({ authorizedKey: key.publicKey, services });
  const server = await createServer(t, owner, { name: 'web-1', host: vps.host, port: vps.port, sshKeyId: key.id });
  const v = await t.request('POST', `/api/v1/servers/${server.id}/validate`, { session: owner });
  if (v.status !== 200) throw new Error(`validate: ${v.status} ${v.text}`);
  return {
    t,
    owner,
    vps,
    serverId: server.id,
    async close() {
      await t.app.worker.stop();
      await vps.stop();
      await t.close();
    },
  };
}

/** Creates a project through the API. */
export async function createProject(lab: DeployLab, body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string; slug: string }> {
  const res = await lab.t.request('POST', '/api/v1/projects', { session: lab.owner, body: { organizationId: lab.owner.organizationId, ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json as Record<string, unknown> & { id: string; slug: string };
}

/** Creates an environment on the lab server through the API. */
export async function createEnvironment(lab: DeployLab, projectId: string, body: Record<string, unknown>): Promise<Record<string, unknown> & { id: string; hostname: string; previewPort: number }> {
  const res = await lab.t.request('POST', `/api/v1/projects/${projectId}/environments`, { session: lab.owner, body: { serverIds: [lab.serverId], ...body } });
  expect(res.status, res.text).toBe(201);
  return res.json as Record<string, unknown> & { id: string; hostname: string; previewPort: number };
}

/** Reads a deployment. */
export async function getDeployment(lab: DeployLab, id: string): Promise<Deployment> {
  const res = await lab.t.request('GET', `/api/v1/deployments/${id}`, { session: lab.owner });
  expect(res.status, res.text).toBe(200);
  return res.json as unknown as Deployment;
}

/** Waits until the deployment reaches one of `statuses` (default: any final one). */
export async function waitForDeployment(lab: DeployLab, id: string, statuses = ['succeeded', 'failed', 'cancelled'], timeoutMs = 120_000): Promise<Deployment> {
  return waitFor(`deployment ${id} to be ${statuses.join('|')}`, async () => {
    const d = await getDeployment(lab, id);
    return statuses.includes(d.status) ? d : undefined;
  }, timeoutMs, 150);
}

/** Starts a deployment and returns it as created. */
export async function trigger(lab: DeployLab, environmentId: string, body: Record<string, unknown> = {}): Promise<Deployment> {
  const res = await lab.t.request('POST', `/api/v1/environments/${environmentId}/deployments`, { session: lab.owner, body });
  expect(res.status, res.text).toBe(202);
  return res.json as unknown as Deployment;
}

/** Deploys and waits for the end. */
export async function deploy(lab: DeployLab, environmentId: string, body: Record<string, unknown> = {}): Promise<Deployment> {
  const d = await trigger(lab, environmentId, body);
  return waitForDeployment(lab, d.id);
}

/** The deployment's log lines. */
export async function logLines(lab: DeployLab, id: string): Promise<{ seq: number; step: string; stream: string; line: string }[]> {
  const res = await lab.t.request('GET', `/api/v1/deployments/${id}/logs`, { session: lab.owner });
  expect(res.status).toBe(200);
  return res.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; step: string; stream: string; line: string });
}

/** GET through nginx inside the server: the public site (port 80 with the environment's host name) or another port. */
export async function httpGet(vps: LabServer, host: string, path = '/', port = 80): Promise<{ code: number; body: string }> {
  const res = await vps.exec(['curl', '-sS', '-o', '/dev/stdout', '-w', '\n%{http_code}', '--max-time', '10', '-H', `Host: ${host}`, `http://127.0.0.1:${port}${path}`]);
  const lines = res.stdout.split('\n');
  const code = Number(lines.pop());
  return { code, body: lines.join('\n') };
}

/** What `current` points to on the server. */
export async function currentRelease(vps: LabServer, base: string): Promise<string | null> {
  const res = await vps.exec(['readlink', `${base}/current`]);
  return res.code === 0 ? (res.stdout.trim().split('/').pop() ?? null) : null;
}

/** The environment's directory on the server. */
export function baseOf(project: { slug: string }, env: Record<string, unknown>): string {
  return `/srv/devflow/apps/${project.slug}/${String(env.name)}`;
}

export { waitFor };

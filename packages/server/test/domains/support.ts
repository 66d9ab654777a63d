/**
 * Fixtures of the domain and certificate tests: Pebble and its mock DNS
 * (scripts/pebble.sh), environments made directly in the database, a lab
 * server whose nginx Pebble can reach, and test certificates made by openssl.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { AppOptions } from '../../src/app.js';
import { newId } from '../../src/lib/ids.js';
import { ALLOW_LAB_ENV, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { repoRoot, startServer, type LabServer } from '../support/lab.js';
import { createKey, createServer, loopbackLookup, waitFor } from '../servers/lab-fixtures.js';

export type Owner = Session & { organizationId: string };

export const PEBBLE_DIRECTORY = 'https://127.0.0.1:14000/dir';
export const PEBBLE_DNS = '127.0.0.1:8053';
const DNS_MANAGEMENT = 'http://127.0.0.1:8055';
const PEBBLE_DIR = process.env.PEBBLE_DIR ?? '/tmp/devflow-pebble';

let pebbleReady: Promise<string> | undefined;
/** Starts (or finds) Pebble and challtestsrv once per process; resolves with the CA that signed Pebble's TLS certificate. */
export function ensurePebble(): Promise<string> {
  pebbleReady ??= (async () => {
    const r = spawnSync('bash', [path.join(repoRoot(), 'scripts', 'pebble.sh')], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`scripts/pebble.sh failed (${r.status}): ${r.stderr}`);
    return fs.readFileSync(path.join(PEBBLE_DIR, 'ca.pem'), 'utf8');
  })();
  return pebbleReady;
}

/** Pebble's issuing root (what a browser would trust), from its management interface. */
export async function pebbleRoot(ca: string): Promise<string> {
  return httpsGetText('https://127.0.0.1:15000/roots/0', ca);
}

/** Pebble's intermediate (the chain a server sends). */
export function httpsGetText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
      })
      .on('error', reject);
  });
}

async function dnsCall(route: string, body: unknown): Promise<void> {
  const res = await fetch(`${DNS_MANAGEMENT}${route}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`challtestsrv ${route}: ${res.status} ${await res.text()}`);
}

/** The mock DNS server's records (pebble-challtestsrv management API). */
export const mockDns = {
  addA: (host: string, address: string) => dnsCall('/add-a', { host: `${host}.`, addresses: [address] }),
  clearA: (host: string) => dnsCall('/clear-a', { host: `${host}.` }),
  setTxt: (host: string, value: string) => dnsCall('/set-txt', { host: `${host}.`, value }),
  clearTxt: (host: string) => dnsCall('/clear-txt', { host: `${host}.` }),
};

/** A host name no other test uses: `<label>-<random>.devflow.test`. */
export function uniqueHost(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}.devflow.test`;
}

/** The lab container's address on the Docker bridge (where Pebble, and the checks, reach its nginx). */
export async function bridgeAddress(vps: LabServer): Promise<string> {
  const res = await vps.exec(['hostname', '-I']);
  const ip = res.stdout.trim().split(/\s+/)[0];
  if (!ip) throw new Error(`no address in ${vps.name}: ${res.stderr}`);
  return ip;
}

/** The environment that points every DNS lookup of the app at `server` (default the mock DNS), as a user configures it. */
export function dnsEnv(server = PEBBLE_DNS): Record<string, string> {
  return { DEVFLOW_DNS_SERVERS: server };
}

/** App options for domain tests: Pebble as the CA (trusted for its origin only), fast polling and retries. The mock DNS comes from dnsEnv(). */
export function domainOptions(ca: string, over: AppOptions['domains'] = {}): AppOptions['domains'] {
  return {
    acmeDirectoryUrl: PEBBLE_DIRECTORY,
    acmeCa: ca,
    acmePoll: { minMs: 200, maxMs: 1000, attempts: 30 },
    dnsPropagationTimeoutMs: 10_000,
    issueBackoffMs: 100,
    ...over,
  };
}

/**
 * Creates a project, an environment and its server links directly in the
 * database (the environments API belongs to another module).
 */
export async function createEnvironment(
  t: TestApp,
  organizationId: string,
  opts: { serverIds?: string[]; framework?: string; projectSlug?: string; name?: string } = {},
): Promise<{ projectId: string; environmentId: string; projectSlug: string; name: string }> {
  const now = new Date().toISOString();
  const projectId = newId('prj');
  const slug = opts.projectSlug ?? `p${randomBytes(3).toString('hex')}`;
  const name = opts.name ?? 'production';
  const k = t.app.db.kysely;
  await k
    .insertInto('projects')
    .values({
      id: projectId,
      organization_id: organizationId,
      name: slug,
      repository_url: 'https://git.invalid/acme/app.git',
      framework: opts.framework ?? 'static',
      deploy_key_id: null,
      settings: '{}',
      created_at: now,
      updated_at: now,
      slug,
      deploy_public_key: null,
      deploy_private_key: null,
      deploy_key_fingerprint: null,
      detection: null,
    })
    .execute();
  const environmentId = newId('env');
  await k
    .insertInto('environments')
    .values({
      id: environmentId,
      organization_id: organizationId,
      project_id: projectId,
      name,
      branch: 'main',
      strategy: 'release',
      requires_approval: 0,
      health_check_path: '/',
      keep_releases: 5,
      settings: '{}',
      current_release_id: null,
      created_at: now,
      updated_at: now,
      webhook_secret: null,
      preview_port: null,
    })
    .execute();
  for (const serverId of opts.serverIds ?? []) await k.insertInto('environment_servers').values({ environment_id: environmentId, server_id: serverId }).execute();
  return { projectId, environmentId, projectSlug: slug, name };
}

/** A control plane with a worker, the owner, and (optionally) one validated lab server whose nginx serves a page. */
export interface DomainLab {
  t: TestApp;
  owner: Owner;
  ca: string;
  vps: LabServer;
  serverId: string;
  address: string;
  /** Moves the clock of renewal and expiry decisions. */
  clock: { offsetMs: number };
  close(): Promise<void>;
}

export const APP_ROOT = '/srv/devflow/apps';

export async function startDomainLab(over: AppOptions['domains'] = {}, dnsServer = PEBBLE_DNS): Promise<DomainLab> {
  const ca = await ensurePebble();
  const clock = { offsetMs: 0 };
  const t = await startTestApp('sqlite', {
    env: { ...dnsEnv(dnsServer), ...ALLOW_LAB_ENV },
    servers: { ssh: { lookup: loopbackLookup, connectTimeoutMs: 5000 } },
    domains: domainOptions(ca, { clock: () => Date.now() + clock.offsetMs, appRoot: APP_ROOT, ...over }),
  });
  t.app.worker.start();
  const owner = await setupOwner(t);
  const key = await createKey(t, owner, 'domains-lab');
  const vps = await startServer({ authorizedKey: key.publicKey });
  try {
    const server = await createServer(t, owner, { name: 'web-1', host: vps.host, port: vps.port, sshKeyId: key.id });
    const v = await t.request('POST', `/api/v1/servers/${server.id}/validate`, { session: owner });
    if (v.status !== 200) throw new Error(`validate: ${v.status} ${v.text}`);
    return {
      t,
      owner,
      ca,
      vps,
      serverId: server.id,
      address: await bridgeAddress(vps),
      clock,
      async close() {
        await t.app.worker.stop();
        await vps.stop();
        await t.close();
      },
    };
  } catch (err) {
    await vps.stop();
    await t.close();
    throw err;
  }
}

/** Writes the page a static environment serves from its `current` release. */
export async function writeCurrentPage(vps: LabServer, projectSlug: string, env: string, text: string): Promise<void> {
  const dir = `${APP_ROOT}/${projectSlug}/${env}/current`;
  const r = await vps.exec(['sh', '-c', 'mkdir -p "$1" && cat > "$1/index.html"', 'fixture', dir], { input: text });
  if (r.code !== 0) throw new Error(`page: ${r.stderr}`);
}

/** Polls a domain until `done` holds for it. */
export async function waitForDomain(t: Pick<TestApp, 'request'>, session: Session, id: string, what: string, done: (d: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  return waitFor(what, async () => {
    const res = await t.request('GET', `/api/v1/domains/${id}`, { session });
    return done(res.json) ? res.json : undefined;
  }, timeoutMs, 200);
}

/** Runs a job by name now and waits for it to finish; returns its row. */
export async function runJob(t: TestApp, name: string, payload: unknown = {}, timeoutMs = 60_000) {
  const job = await t.app.queue.enqueue(name, payload);
  return waitFor(`job ${name}`, async () => {
    const row = await t.app.queue.get(job.id);
    return ['succeeded', 'failed', 'cancelled'].includes(row.status) ? row : undefined;
  }, timeoutMs, 100);
}

/**
 * An HTTPS GET to an address with SNI and Host set to the domain, trusting
 * only `ca`. Each call opens its own connection with a full handshake
 * (`agent: false`): a kept-alive socket would show the certificate of an
 * earlier handshake, and a resumed TLS session (nginx's session cache
 * resumes it while the certificate is unchanged) carries no certificate at
 * all, so `peer` would be empty rather than what nginx serves now.
 */
export function httpsGet(address: string, hostname: string, ca: string, pathname = '/', port = 443): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string; peer: { subjectaltname?: string; valid_to: string; fingerprint256: string } }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: address, port, path: pathname, servername: hostname, headers: { host: hostname }, ca, timeout: 5000, agent: false }, (res) => {
      const socket = res.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      if (!peer?.raw) {
        res.destroy();
        reject(new Error(`${address}:${port} (${hostname}) presented no certificate${socket.isSessionReused() ? ' (resumed TLS session)' : ''}`));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peer }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** A plain-HTTP GET to an address with the domain as Host (fetch does not let a test set Host). */
export function httpGet(address: string, hostname: string, pathname = '/', port = 80): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: address, port, path: pathname, headers: { host: hostname }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------- test certificates (openssl)

/** A scratch directory removed by the returned function. */
export function scratch(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-certs-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface TestPki {
  rootPem: string;
  intermediatePem: string;
  leaf(names: string[], opts?: { days?: number; startDaysAgo?: number; name?: string }): { certPem: string; keyPem: string };
  /** A key that belongs to no certificate. */
  strayKey(): string;
}

/** A root CA, an intermediate and leaf certificates signed by it (EC P-256, made with openssl). */
export function makePki(dir: string): TestPki {
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  fs.writeFileSync(path.join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650', '-subj', '/CN=DevFlow Test Root', '-keyout', 'root.key', '-out', 'root.pem'], dir);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=DevFlow Test Intermediate', '-keyout', 'int.key', '-out', 'int.csr'], dir);
  openssl(['x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '3650', '-extfile', 'ca.ext', '-out', 'int.pem'], dir);
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    '[ca]\ndefault_ca = CA_default\n[CA_default]\ndir = .\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n',
  );
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  let n = 0;
  return {
    rootPem: read('root.pem'),
    intermediatePem: read('int.pem'),
    leaf(names, opts = {}) {
      n += 1;
      const base = opts.name ?? `leaf${n}`;
      fs.writeFileSync(path.join(dir, `${base}.ext`), `basicConstraints=CA:FALSE\nsubjectAltName=${names.map((x) => `DNS:${x}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', `${base}.key`, '-out', `${base}.csr`], dir);
      // `openssl ca` takes explicit validity dates (x509 -req cannot before OpenSSL 3.4), e.g. a window that ended yesterday.
      const fmt = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
      const start = new Date(Date.now() - (opts.startDaysAgo ?? 1) * 86_400_000);
      const end = new Date(start.getTime() + (opts.days ?? 90) * 86_400_000);
      openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'int.pem', '-keyfile', 'int.key', '-in', `${base}.csr`, '-out', `${base}.pem`, '-notext', '-startdate', fmt(start), '-enddate', fmt(end), '-extfile', `${base}.ext`], dir);
      return { certPem: read(`${base}.pem`), keyPem: read(`${base}.key`) };
    },
    strayKey() {
      n += 1;
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `stray${n}.key`], dir);
      return read(`stray${n}.key`);
    },
  };
}

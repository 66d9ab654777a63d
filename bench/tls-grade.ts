/**
 * Grades the HTTPS endpoint DevFlow configures, with testssl.sh: a lab server
 * gets a domain, a Pebble certificate through HTTP-01 and the domain's nginx
 * site; then testssl.sh (Debian package `testssl.sh`) checks protocols,
 * ciphers per protocol, server defaults and headers. Prints protocols,
 * ciphers, HSTS and anything testssl rates above LOW; asserts nothing.
 * Everything stays on this machine (`--nodns none --ip <lab address>`).
 *
 *   node --import tsx bench/tls-grade.ts [--timeout 300]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labAvailable } from '../packages/server/test/support/lab.js';
import { createEnvironment, mockDns, pebbleRoot, startDomainLab, uniqueHost, waitForDomain, writeCurrentPage } from '../packages/server/test/domains/support.js';

const i = process.argv.indexOf('--timeout');
const timeoutS = i >= 0 ? Number(process.argv[i + 1]) || 300 : 300;

if (!(await labAvailable())) {
  console.log('The lab (Docker + VPS image) is not available here; nothing measured.');
  process.exit(0);
}
if (spawnSync('sh', ['-c', 'command -v testssl']).status !== 0) {
  console.log('installing Debian\'s testssl.sh…');
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'testssl.sh'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) {
    console.log('testssl.sh is not installed and could not be installed (apt-get install testssl.sh); nothing measured.');
    process.exit(0);
  }
}

interface Finding {
  id: string;
  severity: string;
  finding: string;
}

const L = await startDomainLab();
const host = uniqueHost('grade');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-tls-grade-'));
try {
  await mockDns.addA(host, L.address);
  const env = await createEnvironment(L.t, L.owner.organizationId, { serverIds: [L.serverId], framework: 'static' });
  await writeCurrentPage(L.vps, env.projectSlug, env.name, 'graded\n');
  const created = await L.t.request('POST', `/api/v1/environments/${env.environmentId}/domains`, { session: L.owner, body: { hostname: host, tls: 'acme', verificationMethod: 'http' } });
  const id = String(created.json.id);
  await waitForDomain(L.t, L.owner, id, 'the site', (d) => (d.site as { status: string }).status === 'applied');
  const v = await L.t.request('POST', `/api/v1/domains/${id}/verify`, { session: L.owner, body: {} });
  if (v.status !== 200) throw new Error(`verify: ${v.text}`);
  await waitForDomain(L.t, L.owner, id, 'the certificate', (d) => (d.certificate as { status: string }).status === 'issued' && (d.site as { status: string }).status === 'applied', 120_000);

  const rootFile = path.join(dir, 'pebble-root.pem');
  fs.writeFileSync(rootFile, await pebbleRoot(L.ca));
  const json = path.join(dir, 'testssl.json');
  const args = ['--quiet', '--color', '0', '--warnings', 'off', '--nodns', 'none', '--ip', L.address, '--add-ca', rootFile, '--openssl-timeout', '10', '--jsonfile', json, '-p', '-E', '-S', '-h', `https://${host}`];
  console.log(`testssl ${args.join(' ')}`);
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const child = spawn('testssl', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', () => (clearTimeout(timer), resolve()));
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!fs.existsSync(json)) throw new Error(`testssl wrote no JSON within ${timeoutS} s`);
  const findings = JSON.parse(fs.readFileSync(json, 'utf8')) as Finding[];
  const by = (pred: (f: Finding) => boolean) => findings.filter(pred);

  console.log(`\n## ${host} at ${L.address}:443 (testssl ${seconds} s)`);
  console.log('\nProtocols');
  for (const f of by((x) => ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1', 'TLS1_2', 'TLS1_3'].includes(x.id))) console.log(`  ${f.id.padEnd(7)} ${f.finding}`);
  console.log('\nCiphers offered, per protocol');
  for (const f of by((x) => /^cipher-tls1_[23]_x/.test(x.id) || /^cipher-tls1_[01]?_x/.test(x.id))) console.log(`  ${f.finding.replace(/\s+/g, ' ')}`);
  console.log('\nHeaders');
  for (const f of by((x) => /^HSTS|^X-Frame|^X-Content-Type|^Referrer|^Content-Security/.test(x.id))) console.log(`  ${f.id}: ${f.finding}`);
  console.log('\nCertificate');
  for (const f of by((x) => /^cert_(trust|chain_of_trust|notAfter|commonName|subjectAltName|keySize|signatureAlgorithm)$/.test(x.id))) console.log(`  ${f.id}: ${f.finding}`);
  const worse = by((x) => ['MEDIUM', 'HIGH', 'CRITICAL'].includes(x.severity));
  console.log(`\nFindings above LOW: ${worse.length}`);
  for (const f of worse) console.log(`  [${f.severity}] ${f.id}: ${f.finding}`);
} finally {
  await mockDns.clearA(host).catch(() => undefined);
  await L.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

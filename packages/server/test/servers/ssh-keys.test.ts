import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOfBlob, generateEd25519, importPrivateKey } from '../../src/adapters/ssh/key-material.js';
import { addMember, createToken, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';

const hasKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== 'ENOENT';
  }
})();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-keys-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes a key with ssh-keygen and returns its text and the fingerprint ssh-keygen prints. */
function keygen(type: string, format: string, passphrase: string): { text: string; fingerprint: string } {
  const file = path.join(tmp, `${type}-${format}-${passphrase.length}`);
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-m', format, '-N', passphrase, '-C', 'imported', '-f', file]);
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${file}.pub`]).toString().split(' ')[1] as string;
  return { text: fs.readFileSync(file, 'utf8'), fingerprint };
}

describe('key material', () => {
  it('generates ed25519 keys that OpenSSH reads, with the fingerprint ssh-keygen -lf prints', () => {
    for (let i = 0; i < 200; i++) expect(generateEd25519(`k${i}`).privateKey).toContain('BEGIN OPENSSH PRIVATE KEY');
    const k = generateEd25519('devflow-test');
    expect(k.type).toBe('ssh-ed25519');
    expect(k.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ devflow-test$/);
    expect(k.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    if (!hasKeygen) return;
    const file = path.join(tmp, 'generated');
    fs.writeFileSync(file, k.privateKey, { mode: 0o600 });
    const derived = execFileSync('ssh-keygen', ['-y', '-f', file]).toString().trim();
    expect(derived.split(' ').slice(0, 2)).toEqual(k.publicKey.split(' ').slice(0, 2));
    fs.writeFileSync(`${file}.pub`, k.publicKey + '\n');
    expect(execFileSync('ssh-keygen', ['-lf', `${file}.pub`]).toString().split(' ')[1]).toBe(k.fingerprint);
  });

  it.skipIf(!hasKeygen).each([
    ['ed25519', 'RFC4716'],
    ['rsa', 'RFC4716'],
    ['rsa', 'PEM'],
    ['rsa', 'PKCS8'],
    ['ecdsa', 'RFC4716'],
    ['ecdsa', 'PEM'],
    ['ecdsa', 'PKCS8'],
  ])('imports an encrypted %s key (%s format) and stores it without the passphrase', (type, format) => {
    const passphrase = 'correct horse $(x) battery';
    const k = keygen(type, format, passphrase);
    const m = importPrivateKey(k.text, passphrase, 'imported');
    expect(m.fingerprint).toBe(k.fingerprint);
    expect(m.privateKey).not.toMatch(/ENCRYPTED|Proc-Type|DEK-Info/);
    // The stored form opens with no passphrase at all.
    expect(importPrivateKey(m.privateKey, undefined, 'x').fingerprint).toBe(k.fingerprint);
    expect(() => importPrivateKey(k.text, undefined, 'x')).toThrow(expect.objectContaining({ code: 'ssh_key.passphrase_required' }));
    expect(() => importPrivateKey(k.text, 'wrong passphrase', 'x')).toThrow(expect.objectContaining({ code: 'ssh_key.bad_passphrase' }));
  });

  it('imports an unencrypted PKCS#8 ed25519 key from OpenSSL', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const m = importPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), undefined, 'x');
    const raw = Buffer.from(String(publicKey.export({ format: 'jwk' }).x), 'base64url');
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), raw]);
    expect(m.fingerprint).toBe(fingerprintOfBlob(blob));
  });

  it('refuses garbage and public keys with clear codes', () => {
    expect(() => importPrivateKey('not a key', undefined, 'x')).toThrow(expect.objectContaining({ code: 'ssh_key.invalid' }));
    expect(() => importPrivateKey(generateEd25519('x').publicKey, undefined, 'x')).toThrow(expect.objectContaining({ code: 'ssh_key.not_private' }));
  });
});

describe.each(dialects)('SSH keys API on %s', (dialect) => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let viewer: Session;
  let otherOrg: string;
  let outsider: Session;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    owner = await setupOwner(t);
    viewer = await addMember(t, owner, 'viewer@example.test', 'viewer');
    const org = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Other' } });
    otherOrg = String(org.json.id);
    outsider = await addMember(t, owner, 'dev@example.test', 'developer');
  });
  afterAll(async () => t?.close());

  it('generates an ed25519 key; responses never carry the private key', async () => {
    const res = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'deploy' } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.json).sort()).toEqual(['createdAt', 'fingerprint', 'id', 'name', 'organizationId', 'publicKey', 'type']);
    expect(res.json.publicKey).toMatch(/^ssh-ed25519 /);
    expect(res.text).not.toMatch(/PRIVATE/);
    const row = await t.app.db.kysely.selectFrom('ssh_keys').selectAll().where('id', '=', String(res.json.id)).executeTakeFirstOrThrow();
    expect(row.private_key.startsWith('v1:')).toBe(true);
    expect(t.app.box.decrypt(row.private_key)).toContain('BEGIN OPENSSH PRIVATE KEY');
    const one = await t.request('GET', `/api/v1/ssh-keys/${String(res.json.id)}`, { session: viewer });
    expect(one.status).toBe(200);
    expect(one.json.fingerprint).toBe(res.json.fingerprint);
    const audit = await t.request('GET', '/api/v1/audit-events?action=ssh_key.', { session: owner });
    expect(audit.json.data?.map((e) => e.action)).toContain('ssh_key.generate');
  });

  it.skipIf(!hasKeygen)('imports a key with its passphrase, which is stored nowhere', async () => {
    const passphrase = 'import passphrase 123';
    const k = keygen('ed25519', 'RFC4716', passphrase);
    const res = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'imported', privateKey: k.text, passphrase } });
    expect(res.status).toBe(201);
    expect(res.json.fingerprint).toBe(k.fingerprint);
    const dump = JSON.stringify(await t.app.db.kysely.selectFrom('ssh_keys').selectAll().execute()) + JSON.stringify(await t.app.db.kysely.selectFrom('audit_events').selectAll().execute());
    expect(dump).not.toContain(passphrase);
    const bad = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'bad', privateKey: k.text, passphrase: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('ssh_key.bad_passphrase');
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('lists only keys of the caller’s organizations; other organizations answer 404; viewers cannot write', async () => {
    await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: otherOrg, name: 'other-org-key' } });
    const mine = await t.request('GET', '/api/v1/ssh-keys', { session: viewer });
    expect(mine.status).toBe(200);
    expect(mine.json.data?.every((k) => k.organizationId === owner.organizationId)).toBe(true);
    const ownerAll = await t.request('GET', '/api/v1/ssh-keys', { session: owner });
    const otherKey = ownerAll.json.data?.find((k) => k.organizationId === otherOrg);
    expect(otherKey).toBeDefined();
    expect((await t.request('GET', `/api/v1/ssh-keys/${String(otherKey?.id)}`, { session: viewer })).status).toBe(404);
    expect((await t.request('GET', `/api/v1/ssh-keys?organizationId=${otherOrg}`, { session: viewer })).status).toBe(404);
    const denied = await t.request('POST', '/api/v1/ssh-keys', { session: viewer, body: { organizationId: owner.organizationId, name: 'nope' } });
    expect(denied.status).toBe(403);
    const dev = await t.request('POST', '/api/v1/ssh-keys', { session: outsider, body: { organizationId: owner.organizationId, name: 'nope' } });
    expect(dev.status).toBe(403);
    // No write right anywhere: 403 before the body is looked at; an admin elsewhere gets 404 for an organization not theirs.
    expect((await t.request('POST', '/api/v1/ssh-keys', { session: viewer, body: { organizationId: otherOrg, name: 'nope' } })).status).toBe(403);
    const admin = await addMember(t, owner, 'admin@example.test', 'admin');
    const foreign = await t.request('POST', '/api/v1/ssh-keys', { session: admin, body: { organizationId: otherOrg, name: 'nope' } });
    expect(foreign.status).toBe(404);
    expect(foreign.json.code).toBe('organization.not_found');
    const readToken = await createToken(t, owner, ['read']);
    expect((await t.request('POST', '/api/v1/ssh-keys', { token: readToken, body: { organizationId: owner.organizationId, name: 'nope' } })).status).toBe(403);
  });

  it('refuses a duplicate name and deletes a key no server uses', async () => {
    const a = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'dup' } });
    const b = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'dup' } });
    expect(b.status).toBe(409);
    expect(b.json.code).toBe('ssh_key.name_taken');
    const server = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 'uses-dup', host: '127.0.0.1', sshKeyId: a.json.id } });
    expect(server.status).toBe(201);
    const inUse = await t.request('DELETE', `/api/v1/ssh-keys/${String(a.json.id)}`, { session: owner });
    expect(inUse.status).toBe(409);
    expect(inUse.json.code).toBe('ssh_key.in_use');
    expect((await t.request('DELETE', `/api/v1/servers/${String(server.json.id)}`, { session: owner })).status).toBe(204);
    expect((await t.request('DELETE', `/api/v1/ssh-keys/${String(a.json.id)}`, { session: owner })).status).toBe(204);
    expect((await t.request('GET', `/api/v1/ssh-keys/${String(a.json.id)}`, { session: owner })).status).toBe(404);
    const audit = await t.request('GET', '/api/v1/audit-events?action=ssh_key.delete', { session: owner });
    expect(audit.json.data).toHaveLength(1);
  });
});

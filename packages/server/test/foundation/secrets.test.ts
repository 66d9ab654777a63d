/**
 * Secrets at rest as an operator lives with them: the key file, a wrong key on
 * an existing database, and `devflow secrets rotate` (the real command) moving
 * every sealed value to a new key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { KEY_FILE_NAME } from '../../src/secrets/key-store.js';
import { generateKey, keyId, parseKey, SecretBox, SecretKeyMismatchError } from '../../src/secrets/secret-box.js';
import { dialects } from '../support/databases.js';
import { devflowArgs, exited, harnessed, testEnv, PROCESS_TEST_TIMEOUT } from './support/harness.js';

interface Sealed {
  table: 'users' | 'ssh_keys' | 'env_vars' | 'certificates';
  id: string;
  plain: string;
}

/** Stores one secret in each encrypted column, sealed by the app's box, as the features will. */
async function seedSecrets(app: App): Promise<Sealed[]> {
  const k = app.db.kysely;
  const now = new Date().toISOString();
  const seal = (plain: string) => app.box.encrypt(plain);
  const secrets: Sealed[] = [
    { table: 'users', id: 'usr_1', plain: 'JBSWY3DPEHPK3PXP' },
    { table: 'ssh_keys', id: 'key_1', plain: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----' },
    { table: 'env_vars', id: 'env_var_1', plain: 'postgres://app:Sup3r$ecret@db/app' },
    { table: 'env_vars', id: 'env_var_2', plain: 'sk_live_äöü_🔑' },
    { table: 'certificates', id: 'crt_1', plain: '-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----' },
  ];
  const plain = (id: string) => secrets.find((s) => s.id === id)!.plain;
  await k.insertInto('organizations').values({ id: 'org_1', name: 'Acme', require_two_factor: 0, created_at: now, updated_at: now }).execute();
  await k
    .insertInto('users')
    .values({ id: 'usr_1', email: 'a@acme.test', name: 'A', password_hash: 'x', totp_secret: seal(plain('usr_1')), totp_enabled: 1, totp_last_step: null, created_at: now, updated_at: now })
    .execute();
  // A user without TOTP: a null column stays null through rotation.
  await k
    .insertInto('users')
    .values({ id: 'usr_2', email: 'b@acme.test', name: 'B', password_hash: 'x', totp_secret: null, totp_enabled: 0, totp_last_step: null, created_at: now, updated_at: now })
    .execute();
  await k
    .insertInto('ssh_keys')
    .values({ id: 'key_1', organization_id: 'org_1', name: 'deploy', public_key: 'ssh-ed25519 AAAA', fingerprint: 'SHA256:x', private_key: seal(plain('key_1')), created_at: now })
    .execute();
  await k
    .insertInto('projects')
    .values({ id: 'prj_1', organization_id: 'org_1', name: 'shop', repository_url: 'git@example.com:acme/shop.git', framework: 'laravel', deploy_key_id: null, settings: '{}', created_at: now, updated_at: now })
    .execute();
  await k
    .insertInto('environments')
    .values({ id: 'env_1', organization_id: 'org_1', project_id: 'prj_1', name: 'production', branch: 'main', strategy: 'release', requires_approval: 0, health_check_path: '/', keep_releases: 5, settings: '{}', current_release_id: null, created_at: now, updated_at: now })
    .execute();
  for (const [id, key] of [['env_var_1', 'DATABASE_URL'], ['env_var_2', 'STRIPE_SECRET']] as const) {
    await k.insertInto('env_vars').values({ id, environment_id: 'env_1', key, value: seal(plain(id)), version: 1, created_at: now, updated_at: now }).execute();
  }
  await k
    .insertInto('certificates')
    .values({ id: 'crt_1', organization_id: 'org_1', domain_id: null, source: 'custom', subject: 'shop.test', sans: '[]', issuer: 'self', not_before: now, not_after: now, certificate_pem: 'pem', chain_pem: null, private_key: seal(plain('crt_1')), created_at: now })
    .execute();
  return secrets;
}

/** The stored (sealed) value of each seeded secret. */
async function storedValues(app: App, secrets: Sealed[]): Promise<string[]> {
  const k = app.db.kysely;
  return Promise.all(
    secrets.map(async (s) => {
      switch (s.table) {
        case 'users':
          return (await k.selectFrom('users').select('totp_secret as v').where('id', '=', s.id).executeTakeFirstOrThrow()).v ?? '';
        case 'ssh_keys':
          return (await k.selectFrom('ssh_keys').select('private_key as v').where('id', '=', s.id).executeTakeFirstOrThrow()).v;
        case 'env_vars':
          return (await k.selectFrom('env_vars').select('value as v').where('id', '=', s.id).executeTakeFirstOrThrow()).v;
        case 'certificates':
          return (await k.selectFrom('certificates').select('private_key as v').where('id', '=', s.id).executeTakeFirstOrThrow()).v;
      }
    }),
  );
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe.concurrent.each(dialects)('secrets on %s', (kind) => {
  it('generates the key file with mode 0600 on first start and reopens the same secrets with it', harnessed(async (h) => {
    const db = await h.database(kind);
    const first = await h.app(db, { role: 'worker' });
    const file = path.join(db.dataDir, KEY_FILE_NAME);
    expect(first.keySource).toEqual({ kind: 'file', file });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const secrets = await seedSecrets(first);
    await first.stop();

    const second = await h.app(db, { role: 'worker' });
    const values = await storedValues(second, secrets);
    expect(values.map((v) => second.box.decrypt(v))).toEqual(secrets.map((s) => s.plain));
  }));

  it('refuses to start on an existing database with another DEVFLOW_SECRET_KEY, naming both keys', harnessed(async (h) => {
    const db = await h.database(kind);
    const original = generateKey();
    await (await h.app(db, { role: 'worker' }, { DEVFLOW_SECRET_KEY: original })).stop();

    const wrong = generateKey();
    const err = await rejection(h.app(db, { role: 'serve' }, { DEVFLOW_SECRET_KEY: wrong }));
    expect(err).toBeInstanceOf(SecretKeyMismatchError);
    const message = (err as Error).message;
    expect(message).toContain(keyId(parseKey(original)));
    expect(message).toContain(keyId(parseKey(wrong)));
    expect(message).toMatch(/DEVFLOW_SECRET_KEY/);

    // Nor does a key file stand in for the missing environment key.
    expect(await rejection(h.app(db, { role: 'worker' }))).toBeInstanceOf(SecretKeyMismatchError);
    // The right key still works afterwards.
    await (await h.app(db, { role: 'worker' }, { DEVFLOW_SECRET_KEY: original })).stop();
  }));

  it('`devflow secrets rotate --new-key` re-encrypts every secret: the new key opens them, the old one no longer does', harnessed(async (h) => {
    const db = await h.database(kind);
    const oldKey = generateKey();
    const newKey = generateKey();
    const before = await h.app(db, { role: 'worker' }, { DEVFLOW_SECRET_KEY: oldKey });
    const secrets = await seedSecrets(before);
    const sealedBefore = await storedValues(before, secrets);
    await before.stop();

    const rotate = h.spawn(devflowArgs('secrets', 'rotate', '--new-key', newKey), testEnv(db, { DEVFLOW_SECRET_KEY: oldKey }));
    expect(await exited(rotate, 45_000)).toBe(0);
    const { stdout } = rotate.output();
    expect(stdout).toContain(`from key ${keyId(parseKey(oldKey))} to key ${keyId(parseKey(newKey))}`);
    expect(stdout).toMatch(/env_vars\.value: 2/);
    expect(stdout).toMatch(/users\.totp_secret: 1/);

    const after = await h.app(db, { role: 'worker' }, { DEVFLOW_SECRET_KEY: newKey });
    const sealedAfter = await storedValues(after, secrets);
    expect(sealedAfter.map((v) => after.box.decrypt(v))).toEqual(secrets.map((s) => s.plain));
    sealedAfter.forEach((v, i) => expect(v).not.toBe(sealedBefore[i]));
    expect((await after.db.kysely.selectFrom('users').select('totp_secret').where('id', '=', 'usr_2').executeTakeFirstOrThrow()).totp_secret).toBeNull();
    await after.stop();

    const oldBox = new SecretBox(parseKey(oldKey));
    for (const v of sealedAfter) expect(() => oldBox.decrypt(v)).toThrow(SecretKeyMismatchError);
    expect(await rejection(h.app(db, { role: 'worker' }, { DEVFLOW_SECRET_KEY: oldKey }))).toBeInstanceOf(SecretKeyMismatchError);
  }), PROCESS_TEST_TIMEOUT);

  it('`devflow secrets rotate` with a key file replaces the file (still 0600) and the next start reads every secret', harnessed(async (h) => {
    const db = await h.database(kind);
    const before = await h.app(db, { role: 'worker' });
    const file = path.join(db.dataDir, KEY_FILE_NAME);
    const oldKey = fs.readFileSync(file, 'utf8').trim();
    const secrets = await seedSecrets(before);
    await before.stop();

    const rotate = h.spawn(devflowArgs('secrets', 'rotate'), testEnv(db));
    expect(await exited(rotate, 45_000)).toBe(0);
    expect(rotate.output().stdout).toContain(file);

    const newKey = fs.readFileSync(file, 'utf8').trim();
    expect(newKey).not.toBe(oldKey);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(db.dataDir).filter((f) => f.startsWith(KEY_FILE_NAME))).toEqual([KEY_FILE_NAME]);

    const after = await h.app(db, { role: 'worker' });
    expect(after.box.keyId).toBe(keyId(parseKey(newKey)));
    const sealedAfter = await storedValues(after, secrets);
    expect(sealedAfter.map((v) => after.box.decrypt(v))).toEqual(secrets.map((s) => s.plain));
    const oldBox = new SecretBox(parseKey(oldKey));
    for (const v of sealedAfter) expect(() => oldBox.decrypt(v)).toThrow(SecretKeyMismatchError);
  }), PROCESS_TEST_TIMEOUT);
});

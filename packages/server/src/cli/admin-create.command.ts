import { createInterface } from 'node:readline';
import type { Config } from '../config/config.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import { AppError } from '../lib/errors.js';
import { createIdentity } from '../modules/identity/identity.module.js';
import { loadMasterKey } from '../secrets/key-store.js';
import { SecretBox } from '../secrets/secret-box.js';
import { verifyMasterKey } from '../secrets/secrets.service.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function readPassword(): Promise<string> {
  if (process.env.DEVFLOW_ADMIN_PASSWORD) return process.env.DEVFLOW_ADMIN_PASSWORD;
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

/**
 * `devflow admin create --email E [--name N] [--organization O]`: creates an
 * owner without the web setup (headless installs). The password comes from
 * DEVFLOW_ADMIN_PASSWORD or the first line of standard input, never argv.
 */
export async function runAdminCreate(config: Config, args: string[]): Promise<number> {
  const email = flag(args, '--email');
  if (!email) {
    console.error('Usage: devflow admin create --email you@example.com [--name "Your Name"] [--organization "Team"]\nThe password is read from DEVFLOW_ADMIN_PASSWORD or standard input.');
    return 2;
  }
  const password = await readPassword();
  const db = openDatabase(config.database);
  try {
    await migrateToLatest(db);
    const { key } = loadMasterKey(config.dataDir, config.secretKey);
    const box = new SecretBox(key);
    await verifyMasterKey(db, box);
    const identity = createIdentity({ db, box, publicUrl: config.publicUrl, corsOrigins: [] });
    const ctx = { actor: undefined, ip: null, userAgent: 'devflow-cli', audited: false };
    const { user, organizationId } = await identity.auth.createAdmin(
      ctx,
      { email: email.toLowerCase(), password, name: flag(args, '--name') ?? email.split('@')[0] ?? email, organizationName: flag(args, '--organization') ?? 'My team' },
      { firstRunOnly: false },
    );
    console.log(`Created ${user.email} (${user.id}), owner of organization ${organizationId}.`);
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      console.error(`devflow: ${err.message}${err.fields.length ? ' (' + err.fields.map((f) => f.message).join(', ') + ')' : ''}`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
  }
}

import type { Config } from '../config/config.js';
import { migrateToLatest, openDatabase } from '../db/database.js';
import { AuditLog } from '../modules/identity/audit.service.js';
import { InstanceService } from '../modules/identity/instance.service.js';

/**
 * `devflow admin grant --email E`: makes an existing user an installation
 * administrator (/metrics, instance settings, creating organizations). Run on
 * the server itself, so whoever can run it already holds the installation.
 */
export async function runAdminGrant(config: Config, args: string[]): Promise<number> {
  const i = args.indexOf('--email');
  const email = i >= 0 ? args[i + 1]?.toLowerCase() : undefined;
  if (!email) {
    console.error('Usage: devflow admin grant --email you@example.com');
    return 2;
  }
  const db = openDatabase(config.database);
  try {
    await migrateToLatest(db);
    const user = await db.kysely.selectFrom('users').select(['id', 'email']).where('email', '=', email).executeTakeFirst();
    if (!user) {
      console.error(`devflow: no user has the email ${email}. Create one with "devflow admin create" or an invitation first.`);
      return 1;
    }
    const audit = new AuditLog(db);
    await new InstanceService(db, audit, Date.now).grantAdmin(user.id);
    await audit.record(
      { actor: undefined, ip: null, userAgent: 'devflow-cli', audited: false },
      { action: 'instance.admin_grant', targetType: 'user', targetId: user.id, actor: { type: 'system', id: null }, diff: { email: user.email } },
    );
    console.log(`${user.email} (${user.id}) is an installation administrator.`);
    return 0;
  } finally {
    await db.destroy();
  }
}

import type { Db } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import type { RequestContext } from './actor.js';
import type { AuditLog } from './audit.service.js';

/** Installation-wide settings, kept in the `settings` table under `instance.*`. */
export interface InstanceSettings {
  /** Any signed-in user may create organizations; otherwise only installation administrators. */
  allowOrganizationCreation: boolean;
}

const KEYS: { [K in keyof InstanceSettings]: string } = {
  allowOrganizationCreation: 'instance.allow_organization_creation',
};

/** Deny by default: a fresh installation lets only its administrators create organizations. */
const DEFAULTS: InstanceSettings = { allowOrganizationCreation: false };

/** Installation administrators and the instance settings they manage. */
export class InstanceService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly clock: () => number,
  ) {}

  /** True when the user administers the installation. */
  async isAdmin(userId: string): Promise<boolean> {
    const row = await this.db.kysely.selectFrom('installation_admins').select('user_id').where('user_id', '=', userId).executeTakeFirst();
    return !!row;
  }

  /** Makes a user an installation administrator (setup, `devflow admin create`); idempotent. */
  async grantAdmin(userId: string): Promise<void> {
    if (await this.isAdmin(userId)) return;
    await this.db.kysely.insertInto('installation_admins').values({ user_id: userId, created_at: new Date(this.clock()).toISOString() }).execute();
  }

  /** The instance settings, defaults filled in. */
  async get(): Promise<InstanceSettings> {
    const rows = await this.db.kysely.selectFrom('settings').select(['key', 'value']).where('key', 'in', Object.values(KEYS)).execute();
    const stored = new Map(rows.map((r) => [r.key, r.value]));
    const value = stored.get(KEYS.allowOrganizationCreation);
    return { allowOrganizationCreation: value === undefined ? DEFAULTS.allowOrganizationCreation : value === 'true' };
  }

  /** Changes instance settings (installation administrators only: the route says so); audited. */
  async update(ctx: RequestContext, patch: Partial<InstanceSettings>): Promise<InstanceSettings> {
    const before = await this.get();
    const now = new Date(this.clock()).toISOString();
    for (const [name, value] of Object.entries(patch) as [keyof InstanceSettings, boolean | undefined][]) {
      if (value === undefined) continue;
      await this.db.kysely
        .insertInto('settings')
        .values({ key: KEYS[name], value: String(value), updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(value), updated_at: now }))
        .execute();
    }
    const after = await this.get();
    await this.audit.record(ctx, { action: 'instance.update', targetType: 'instance', targetId: null, diff: { before, after } });
    return after;
  }

  /** Refuses creating an organization unless the installation allows it or the caller administers it. */
  async assertMayCreateOrganization(userId: string): Promise<void> {
    if ((await this.get()).allowOrganizationCreation || (await this.isAdmin(userId))) return;
    throw new AppError('forbidden', 'organization.creation_restricted', 'Only installation administrators may create organizations on this installation. Ask one to create it, or to allow it in the instance settings.');
  }
}

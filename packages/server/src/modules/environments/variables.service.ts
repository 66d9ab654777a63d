import { decide } from '../../core/policy.js';
import { transact, type Db } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import type { EnvironmentService } from './environments.service.js';

/**
 * Environment variables: each value sealed by the secret box, and every
 * change of the set kept as a sealed, numbered snapshot, so a release can be
 * rolled back with exactly the variables it was built with.
 */
export class VariablesService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly environments: EnvironmentService,
    private readonly clock: () => number = Date.now,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** True when the caller may read values (role developer+ and, for tokens, the secrets:read ability). */
  canReadSecrets(ctx: RequestContext, scope: { organizationId: string; projectId: string }): boolean {
    const actor = ctx.actor;
    if (!actor) return false;
    return decide('secrets.read', actor.memberships.get(scope.organizationId), actor.abilities, scope) === 'allow';
  }

  /** The current set, decrypted. */
  async current(environmentId: string): Promise<Record<string, string>> {
    const rows = await this.db.kysely.selectFrom('env_vars').select(['key', 'value']).where('environment_id', '=', environmentId).orderBy('key').execute();
    return Object.fromEntries(rows.map((r) => [r.key, this.box.decrypt(r.value)]));
  }

  /** The set as it was at `version` (0: empty). */
  async snapshot(environmentId: string, version: number): Promise<Record<string, string>> {
    if (version <= 0) return {};
    const row = await this.db.kysely.selectFrom('env_var_versions').select('snapshot').where('environment_id', '=', environmentId).where('version', '=', version).executeTakeFirst();
    if (!row) return this.current(environmentId);
    return JSON.parse(this.box.decrypt(row.snapshot)) as Record<string, string>;
  }

  /** The keys, with values only for callers allowed to read secrets. */
  async read(ctx: RequestContext, environmentId: string) {
    const env = await this.environments.get(environmentId);
    const masked = !this.canReadSecrets(ctx, { organizationId: env.organization_id, projectId: env.project_id });
    const rows = await this.db.kysely.selectFrom('env_vars').select(['key', 'value', 'updated_at']).where('environment_id', '=', environmentId).orderBy('key').execute();
    const updatedAt = rows.reduce<string | null>((max, r) => (max === null || r.updated_at > max ? r.updated_at : max), null);
    return {
      variables: Object.fromEntries(rows.map((r) => [r.key, masked ? null : this.box.decrypt(r.value)])),
      masked,
      version: env.env_version,
      updatedAt,
    };
  }

  /**
   * Replaces the set: missing keys are deleted. Writes a new version only when
   * something changed; the audit lists changed keys, never values.
   */
  async replace(ctx: RequestContext, environmentId: string, variables: Record<string, string>) {
    const env = await this.environments.get(environmentId);
    const before = await this.current(environmentId);
    const added = Object.keys(variables).filter((k) => !(k in before));
    const changed = Object.keys(variables).filter((k) => k in before && before[k] !== variables[k]);
    const removed = Object.keys(before).filter((k) => !(k in variables));
    if (added.length + changed.length + removed.length > 0) {
      const now = this.now();
      await transact(this.db.kysely, async (trx) => {
        // Bumped first: concurrent writers serialize on the environment row and each gets its own version.
        const bumped = await trx
          .updateTable('environments')
          .set((eb) => ({ env_version: eb('env_version', '+', 1), updated_at: now }))
          .where('id', '=', environmentId)
          .returning('env_version')
          .executeTakeFirstOrThrow();
        const version = Number(bumped.env_version);
        if (removed.length) await trx.deleteFrom('env_vars').where('environment_id', '=', environmentId).where('key', 'in', removed).execute();
        for (const key of [...added, ...changed]) {
          const sealed = this.box.encrypt(variables[key] as string);
          if (key in before) {
            await trx.updateTable('env_vars').set({ value: sealed, version, updated_at: now }).where('environment_id', '=', environmentId).where('key', '=', key).execute();
          } else {
            await trx.insertInto('env_vars').values({ id: newId('var'), environment_id: environmentId, key, value: sealed, version, created_at: now, updated_at: now }).execute();
          }
        }
        await trx
          .insertInto('env_var_versions')
          .values({ id: newId('evv'), environment_id: environmentId, version, snapshot: this.box.encrypt(JSON.stringify(variables)), created_by: ctx.actor?.userId ?? null, created_at: now })
          .execute();
      });
      await this.audit.record(ctx, {
        action: 'environment.variables.update',
        organizationId: env.organization_id,
        targetType: 'environment',
        targetId: environmentId,
        diff: { added, changed, removed },
      });
    }
    return this.read(ctx, environmentId);
  }
}

import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database, Role } from '../../db/schema.js';
import { canAssignRole } from '../../core/policy.js';
import { AppError, conflict, invalid, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { RequestContext } from './actor.js';
import type { AuditLog } from './audit.service.js';
import type { InstanceService } from './instance.service.js';
import { presentUser, type AuthService, type UserRow } from './auth.service.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { randomSecret, sha256 } from './secret-tokens.js';

const INVITATION_TTL_MS = 7 * 86_400_000;

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: Role;
  twoFactorEnabled: boolean;
  projectIds: string[] | null;
  createdAt: string;
}

/** Organizations, their members and roles, and invitations by single-use link. */
export class OrganizationService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly auth: AuthService,
    private readonly publicUrl: string,
    private readonly clock: () => number,
    private readonly instance: Pick<InstanceService, 'assertMayCreateOrganization'>,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Organizations the caller belongs to, with the caller's role. */
  async listMine(ctx: RequestContext) {
    const actor = need(ctx);
    const rows = await this.db.kysely
      .selectFrom('organizations as o')
      .innerJoin('memberships as m', 'm.organization_id', 'o.id')
      .select(['o.id', 'o.name', 'o.require_two_factor', 'o.created_at', 'm.role'])
      .where('m.user_id', '=', actor.userId)
      .orderBy('o.name')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, requireTwoFactor: !!r.require_two_factor, role: r.role, createdAt: r.created_at }));
  }

  async get(ctx: RequestContext, id: string) {
    const org = (await this.listMine(ctx)).find((o) => o.id === id);
    if (!org) throw notFound('organization', id);
    return org;
  }

  /**
   * Refuses callers who may not create organizations: tokens without the admin ability, and anyone
   * but installation administrators unless the installation allows it. Runs before the body is validated.
   */
  async assertMayCreate(ctx: RequestContext): Promise<void> {
    const actor = need(ctx);
    if (actor.kind === 'token' && !actor.abilities?.has('admin')) {
      throw new AppError('forbidden', 'auth.ability_missing', 'Creating an organization needs a session or a token with the admin ability.');
    }
    await this.instance.assertMayCreateOrganization(actor.userId);
  }

  /** Creates an organization owned by the caller, if the installation lets the caller create one. */
  async create(ctx: RequestContext, name: string) {
    await this.assertMayCreate(ctx);
    const actor = need(ctx);
    const now = this.now();
    const id = newId('org');
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('organizations').values({ id, name, require_two_factor: 0, created_at: now, updated_at: now }).execute();
      await trx.insertInto('memberships').values({ id: newId('mem'), organization_id: id, user_id: actor.userId, role: 'owner', created_at: now }).execute();
    });
    await this.audit.record(ctx, { action: 'organization.create', organizationId: id, targetType: 'organization', targetId: id, diff: { name } });
    return { id, name, requireTwoFactor: false, role: 'owner' as const, createdAt: now };
  }

  async update(ctx: RequestContext, id: string, patch: { name?: string; requireTwoFactor?: boolean }) {
    const before = await this.get(ctx, id);
    await this.db.kysely
      .updateTable('organizations')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.requireTwoFactor !== undefined ? { require_two_factor: patch.requireTwoFactor ? 1 : 0 } : {}),
        updated_at: this.now(),
      })
      .where('id', '=', id)
      .execute();
    await this.audit.record(ctx, {
      action: 'organization.update',
      organizationId: id,
      targetType: 'organization',
      targetId: id,
      diff: { before: { name: before.name, requireTwoFactor: before.requireTwoFactor }, after: patch },
    });
    return this.get(ctx, id);
  }

  async listMembers(organizationId: string): Promise<MemberView[]> {
    const rows = await this.db.kysely
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .leftJoin('membership_projects as mp', 'mp.membership_id', 'm.id')
      .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'u.totp_enabled', 'm.project_scoped', 'mp.project_id', 'm.created_at'])
      .where('m.organization_id', '=', organizationId)
      .orderBy('u.email')
      .execute();
    const byUser = new Map<string, MemberView>();
    for (const r of rows) {
      const m = byUser.get(r.user_id) ?? {
        userId: r.user_id,
        email: r.email,
        name: r.name,
        role: r.role,
        twoFactorEnabled: !!r.totp_enabled,
        projectIds: r.project_scoped ? [] : null,
        createdAt: r.created_at,
      };
      if (m.projectIds && r.project_id) m.projectIds.push(r.project_id);
      byUser.set(r.user_id, m);
    }
    return [...byUser.values()];
  }

  private async member(organizationId: string, userId: string): Promise<MemberView> {
    const m = (await this.listMembers(organizationId)).find((x) => x.userId === userId);
    if (!m) throw notFound('member', userId);
    return m;
  }

  private actorRole(ctx: RequestContext, organizationId: string): Role {
    const role = need(ctx).memberships.get(organizationId)?.role;
    if (!role) throw notFound('organization', organizationId);
    return role;
  }

  /**
   * Adds a member the only way that asks them: an invitation they accept.
   * The answer is the same whether or not the email has an account (it names
   * nobody), and no user joins an organization (and its 2FA rule) unasked.
   */
  async addMember(ctx: RequestContext, organizationId: string, input: { email: string; role: Role; projectIds?: string[] | null }) {
    return this.invite(ctx, organizationId, input);
  }

  private async insertMembership(organizationId: string, userId: string, role: Role, projectIds: string[] | null): Promise<void> {
    const id = newId('mem');
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('memberships').values({ id, organization_id: organizationId, user_id: userId, role, project_scoped: projectIds ? 1 : 0, created_at: this.now() }).execute();
      if (projectIds?.length) await trx.insertInto('membership_projects').values(projectIds.map((p) => ({ membership_id: id, project_id: p }))).execute();
    });
  }

  /** Changes a member's role or project grants; the last owner stays an owner. */
  async updateMember(ctx: RequestContext, organizationId: string, userId: string, patch: { role?: Role; projectIds?: string[] | null }) {
    const actorRole = this.actorRole(ctx, organizationId);
    const before = await this.member(organizationId, userId);
    // Only owners change owners: an admin may neither demote one nor narrow their projects.
    if (before.role === 'owner' && actorRole !== 'owner') {
      throw new AppError('forbidden', 'member.owner_protected', 'Only owners can change another owner (role or projects).');
    }
    if (patch.role && patch.role !== before.role && !canAssignRole(actorRole, patch.role)) {
      throw new AppError('forbidden', 'member.role_not_assignable', 'Only owners can grant or take away the owner role.');
    }
    if (patch.projectIds) await this.assertProjectsInOrg(organizationId, patch.projectIds);
    const membership = await this.db.kysely.selectFrom('memberships').select('id').where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirstOrThrow();
    await this.db.kysely.transaction().execute(async (trx) => {
      if (patch.role && patch.role !== before.role && before.role === 'owner') await this.lockOwners(trx, organizationId, membership.id);
      if (patch.role) await trx.updateTable('memberships').set({ role: patch.role }).where('id', '=', membership.id).execute();
      if (patch.projectIds !== undefined) {
        await trx.updateTable('memberships').set({ project_scoped: patch.projectIds ? 1 : 0 }).where('id', '=', membership.id).execute();
        await trx.deleteFrom('membership_projects').where('membership_id', '=', membership.id).execute();
        if (patch.projectIds?.length) await trx.insertInto('membership_projects').values(patch.projectIds.map((p) => ({ membership_id: membership.id, project_id: p }))).execute();
      }
    });
    await this.audit.record(ctx, { action: 'member.update', organizationId, targetType: 'user', targetId: userId, diff: { before: { role: before.role, projectIds: before.projectIds }, after: patch } });
    return this.member(organizationId, userId);
  }

  async removeMember(ctx: RequestContext, organizationId: string, userId: string): Promise<void> {
    const actorRole = this.actorRole(ctx, organizationId);
    const before = await this.member(organizationId, userId);
    if (before.role === 'owner' && actorRole !== 'owner') {
      throw new AppError('forbidden', 'member.owner_protected', 'Only owners can remove an owner.');
    }
    await this.db.kysely.transaction().execute(async (trx) => {
      const membership = await trx.selectFrom('memberships').select('id').where('organization_id', '=', organizationId).where('user_id', '=', userId).executeTakeFirst();
      if (!membership) throw notFound('member', userId);
      if (before.role === 'owner') await this.lockOwners(trx, organizationId, membership.id);
      await trx.deleteFrom('memberships').where('id', '=', membership.id).execute();
    });
    await this.audit.record(ctx, { action: 'member.remove', organizationId, targetType: 'user', targetId: userId, diff: { email: before.email, role: before.role } });
  }

  /**
   * Inside the transaction that takes an owner away: refuses when `leaving` is
   * the last owner. On PostgreSQL the organization row is locked first, so two
   * owners demoting each other at once cannot both pass (SQLite runs one
   * write transaction at a time).
   */
  private async lockOwners(trx: Transaction<Database>, organizationId: string, leaving: string): Promise<void> {
    if (this.db.dialect === 'postgres') await trx.selectFrom('organizations').select('id').where('id', '=', organizationId).forUpdate().execute();
    const others = await trx.selectFrom('memberships').select('id').where('organization_id', '=', organizationId).where('role', '=', 'owner').where('id', '!=', leaving).execute();
    if (!others.length) throw conflict('member.last_owner', 'An organization needs at least one owner. Make someone else an owner first.');
  }

  private async assertProjectsInOrg(organizationId: string, projectIds: string[]): Promise<void> {
    if (!projectIds.length) return;
    const found = await this.db.kysely.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('id', 'in', projectIds).execute();
    const missing = projectIds.filter((p) => !found.some((f) => f.id === p));
    if (missing.length) throw invalid('member.unknown_projects', `No such projects in this organization: ${missing.join(', ')}.`, [{ field: 'body.projectIds', message: 'unknown project' }]);
  }

  /** The invited project grants that still exist in the organization (a project may have gone since). */
  private async grantsStillInOrg(organizationId: string, projectIds: string[] | null): Promise<string[] | null> {
    if (!projectIds?.length) return projectIds;
    const rows = await this.db.kysely.selectFrom('projects').select('id').where('organization_id', '=', organizationId).where('id', 'in', projectIds).execute();
    return rows.map((r) => r.id);
  }

  /** Creates a single-use invitation link valid for 7 days, optionally limited to some projects. */
  async invite(ctx: RequestContext, organizationId: string, input: { email: string; role: Role; projectIds?: string[] | null | undefined }) {
    if (!canAssignRole(this.actorRole(ctx, organizationId), input.role)) {
      throw new AppError('forbidden', 'member.role_not_assignable', 'Only owners can invite owners.');
    }
    const projectIds = input.projectIds ?? null;
    if (projectIds) await this.assertProjectsInOrg(organizationId, projectIds);
    const token = randomSecret(32);
    const row = {
      id: newId('inv'),
      organization_id: organizationId,
      email: input.email,
      role: input.role,
      token_hash: sha256(token),
      invited_by: need(ctx).userId,
      expires_at: new Date(this.clock() + INVITATION_TTL_MS).toISOString(),
      accepted_at: null,
      revoked_at: null,
      created_at: this.now(),
      project_ids: projectIds ? JSON.stringify([...new Set(projectIds)]) : null,
    };
    await this.db.kysely.insertInto('invitations').values(row).execute();
    await this.audit.record(ctx, { action: 'invitation.create', organizationId, targetType: 'invitation', targetId: row.id, diff: { email: input.email, role: input.role, projectIds } });
    return { id: row.id, email: row.email, role: row.role, projectIds, expiresAt: row.expires_at, url: `${this.publicUrl.replace(/\/$/, '')}/invite#${token}` };
  }

  async listInvitations(organizationId: string) {
    const rows = await this.db.kysely
      .selectFrom('invitations')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', this.now())
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((r) => ({ id: r.id, email: r.email, role: r.role, projectIds: parseProjectIds(r.project_ids), expiresAt: r.expires_at }));
  }

  /** Revokes a pending invitation of this organization; another organization's id answers 404. */
  async revokeInvitation(ctx: RequestContext, organizationId: string, invitationId: string): Promise<void> {
    const res = await this.db.kysely
      .updateTable('invitations')
      .set({ revoked_at: this.now() })
      .where('id', '=', invitationId)
      .where('organization_id', '=', organizationId)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw notFound('invitation', invitationId);
    await this.audit.record(ctx, { action: 'invitation.revoke', organizationId, targetType: 'invitation', targetId: invitationId });
  }

  /**
   * Accepts an invitation once: a signed-in user joins with the invited role;
   * without a session, a new account is made with the given name and password.
   */
  async acceptInvitation(ctx: RequestContext, input: { token: string; name?: string; password?: string }): Promise<{ user: UserRow; organizationId: string; created: boolean }> {
    const now = this.now();
    const inv = await this.db.kysely.selectFrom('invitations').selectAll().where('token_hash', '=', sha256(input.token)).executeTakeFirst();
    if (!inv || inv.accepted_at || inv.revoked_at || inv.expires_at <= now) {
      throw new AppError('unprocessable', 'invitation.invalid', 'This invitation link is invalid, used or expired. Ask for a new one.');
    }
    let user: UserRow | undefined;
    let created = false;
    if (ctx.actor) {
      user = await this.auth.getUser(ctx.actor.userId);
      if (user.email !== inv.email) throw new AppError('forbidden', 'invitation.wrong_user', `This invitation is for ${inv.email}; sign in as that user.`);
    } else {
      const existing = await this.db.kysely.selectFrom('users').select('id').where('email', '=', inv.email).executeTakeFirst();
      if (existing) throw new AppError('unauthenticated', 'invitation.sign_in', `Sign in as ${inv.email} and open the link again.`);
      if (!input.name || !input.password) throw invalid('invitation.account_needed', 'Choose a name and a password for your new account.', [
        ...(input.name ? [] : [{ field: 'body.name', message: 'required' }]),
        ...(input.password ? [] : [{ field: 'body.password', message: 'required' }]),
      ]);
      checkPasswordPolicy(input.password, 'body.password', inv.email);
      user = { id: newId('usr'), email: inv.email, name: input.name, password_hash: await hashPassword(input.password), totp_secret: null, totp_enabled: 0, totp_last_step: null, created_at: now, updated_at: now };
      created = true;
    }
    const claimed = await this.db.kysely.updateTable('invitations').set({ accepted_at: now }).where('id', '=', inv.id).where('accepted_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw new AppError('unprocessable', 'invitation.invalid', 'This invitation was just used.');
    if (created) await this.db.kysely.insertInto('users').values(user).execute();
    const member = await this.db.kysely.selectFrom('memberships').select('id').where('organization_id', '=', inv.organization_id).where('user_id', '=', user.id).executeTakeFirst();
    if (!member) await this.insertMembership(inv.organization_id, user.id, inv.role, await this.grantsStillInOrg(inv.organization_id, parseProjectIds(inv.project_ids)));
    await this.audit.record(ctx, { action: 'invitation.accept', organizationId: inv.organization_id, targetType: 'user', targetId: user.id, actor: { type: 'user', id: user.id }, diff: { email: user.email, role: inv.role, newAccount: created } });
    return { user, organizationId: inv.organization_id, created };
  }
}

export { presentUser };

function parseProjectIds(json: string | null): string[] | null {
  return json === null ? null : (JSON.parse(json) as string[]);
}

function need(ctx: RequestContext) {
  if (!ctx.actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
  return ctx.actor;
}

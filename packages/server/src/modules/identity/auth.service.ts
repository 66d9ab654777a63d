import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { UsersTable } from '../../db/schema.js';
import { AppError, conflict, invalid } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { RequestContext } from './actor.js';
import type { AuditLog } from './audit.service.js';
import { checkPasswordPolicy, dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { normaliseRecoveryCode, sha256 } from './secret-tokens.js';
import type { SessionStore } from './sessions.js';
import { defaultLoginThrottle, LoginThrottle, type LoginThrottleOptions } from './throttle.js';
import type { TokenService } from './tokens.service.js';
import { matchTotpStep } from './totp.js';

export type UserRow = Selectable<UsersTable>;

/** The public shape of a user. */
export function presentUser(u: UserRow) {
  return { id: u.id, email: u.email, name: u.name, twoFactorEnabled: !!u.totp_enabled, createdAt: u.created_at };
}

const invalidCredentials = () =>
  new AppError('unauthenticated', 'auth.invalid_credentials', 'The email or password is wrong.');

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

const tooManyAttempts = (ms: number) =>
  new AppError('rate_limited', 'auth.too_many_attempts', `Too many failed attempts from this address. Try again in ${seconds(ms)} seconds.`, {
    meta: { retryAfter: seconds(ms) },
  });

/** Said before any credential is checked, and for every failure while slowed, so it tells a guesser nothing. */
const accountSlowed = (ms: number) =>
  new AppError(
    'rate_limited',
    'auth.account_slowed',
    `This account had many failed sign-ins recently. Try again in ${seconds(ms)} seconds, or sign in now with your password and a code from your authenticator app.`,
    { meta: { retryAfter: seconds(ms) } },
  );

/** First-run setup, sign-in with password and second factor, sign-out, password changes. */
export class AuthService {
  /** Failed sign-ins and code checks, per (account, address) and per account. */
  readonly throttle: LoginThrottle;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly sessions: SessionStore,
    private readonly audit: AuditLog,
    private readonly clock: () => number,
    private readonly tokens: Pick<TokenService, 'revokeAllOf' | 'countLive'>,
    throttle: Partial<Omit<LoginThrottleOptions, 'clock'>> = {},
  ) {
    this.throttle = new LoginThrottle({ ...defaultLoginThrottle, ...throttle, clock });
  }

  /** For checks of a signed-in user's password or code: refuses an address that failed too often. */
  checkAttempt(ctx: RequestContext, account: string): void {
    const { pairRetryMs } = this.throttle.check(account, ctx.ip ?? 'unknown');
    if (pairRetryMs > 0) throw tooManyAttempts(pairRetryMs);
  }

  /** Records a wrong password or code of `account` from the request's address. */
  failAttempt(ctx: RequestContext, account: string): void {
    this.throttle.fail(account, ctx.ip ?? 'unknown');
  }

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** True until the first user exists. */
  async setupRequired(): Promise<boolean> {
    return !(await this.db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst());
  }

  /**
   * Creates a user who owns a new organization. With `firstRunOnly`, refuses
   * once any user exists (the setup endpoint); the CLI may add more admins.
   * The setup user, and users the CLI creates, administer the installation.
   */
  async createAdmin(
    ctx: RequestContext,
    input: { email: string; password: string; name: string; organizationName: string },
    opts: { firstRunOnly: boolean },
  ): Promise<{ user: UserRow; organizationId: string }> {
    checkPasswordPolicy(input.password, 'password', input.email);
    const passwordHash = await hashPassword(input.password);
    const now = this.now();
    const user: UserRow = {
      id: newId('usr'),
      email: input.email.toLowerCase(),
      name: input.name,
      password_hash: passwordHash,
      totp_secret: null,
      totp_enabled: 0,
      totp_last_step: null,
      created_at: now,
      updated_at: now,
    };
    const organizationId = newId('org');
    await this.db.kysely.transaction().execute(async (trx) => {
      if (opts.firstRunOnly) {
        const any = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
        if (any) throw conflict('auth.setup_done', 'DevFlow is already set up. Sign in instead.');
      }
      const taken = await trx.selectFrom('users').select('id').where('email', '=', user.email).executeTakeFirst();
      if (taken) throw conflict('user.email_taken', `A user with email ${user.email} exists already.`);
      await trx.insertInto('users').values(user).execute();
      await trx
        .insertInto('organizations')
        .values({ id: organizationId, name: input.organizationName, require_two_factor: 0, created_at: now, updated_at: now })
        .execute();
      await trx
        .insertInto('memberships')
        .values({ id: newId('mem'), organization_id: organizationId, user_id: user.id, role: 'owner', created_at: now })
        .execute();
      await trx.insertInto('installation_admins').values({ user_id: user.id, created_at: now }).execute();
    });
    await this.audit.record(ctx, {
      action: opts.firstRunOnly ? 'auth.setup' : 'user.create',
      organizationId,
      targetType: 'user',
      targetId: user.id,
      diff: { email: user.email, organizationName: input.organizationName },
      actor: ctx.actor ? undefined : { type: 'system', id: null },
    });
    return { user, organizationId };
  }

  /**
   * Signs in with email and password, and the second factor when enrolled.
   * Wrong password and unknown email answer the same, in the same time.
   * An address that failed often for this account waits (growing delays); an
   * account guessed at from many addresses is slowed for everyone, except a
   * correct password with a correct second factor, which always gets in.
   */
  async login(
    ctx: RequestContext,
    input: { email: string; password: string; totp?: string; recoveryCode?: string },
  ): Promise<{ user: UserRow; cookie: string; csrfToken: string }> {
    const email = input.email.toLowerCase();
    const address = ctx.ip ?? 'unknown';
    const verdict = this.throttle.check(email, address);
    const slowed = verdict.accountRetryMs > 0;
    const hasSecondFactor = !!(input.totp || input.recoveryCode);
    // Every refused sign-in is audited, throttled ones included; the actor is the user only once the password was right.
    const refuse = async (reason: string, err: AppError, target: { id: string; passwordOk: boolean } | undefined = undefined): Promise<never> => {
      await this.audit.record(ctx, {
        action: 'auth.login_failed',
        targetType: 'user',
        targetId: target?.id ?? null,
        ...(target?.passwordOk ? { actor: { type: 'user' as const, id: target.id } } : {}),
        diff: { email, reason },
      });
      throw err;
    };
    if (verdict.pairRetryMs > 0) return refuse('throttled', tooManyAttempts(verdict.pairRetryMs));
    if (slowed && !hasSecondFactor) return refuse('account_slowed', accountSlowed(verdict.accountRetryMs));

    const user = await this.db.kysely.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    const ok = await verifyPassword(user?.password_hash ?? (await dummyHash()), input.password);
    if (!user || !ok) {
      this.throttle.fail(email, address);
      const target = user ? { id: user.id, passwordOk: false } : undefined;
      return refuse('invalid_credentials', slowed ? accountSlowed(verdict.accountRetryMs) : invalidCredentials(), target);
    }
    if (user.totp_enabled) {
      if (!hasSecondFactor) {
        throw new AppError('unauthenticated', 'auth.totp_required', 'Enter the 6-digit code from your authenticator app, or a recovery code.');
      }
      const passed = input.totp ? await this.acceptTotp(user, input.totp) : await this.useRecoveryCode(ctx, user, input.recoveryCode ?? '');
      if (!passed) {
        this.throttle.fail(email, address);
        const err = slowed
          ? accountSlowed(verdict.accountRetryMs)
          : new AppError('unauthenticated', 'auth.invalid_second_factor', 'The code is wrong, expired or was already used.');
        return refuse(input.totp ? 'invalid_totp' : 'invalid_recovery_code', err, { id: user.id, passwordOk: true });
      }
    } else if (slowed) {
      // No second factor to vouch for this attempt: it waits like everyone else, and learns nothing.
      return refuse('account_slowed', accountSlowed(verdict.accountRetryMs), { id: user.id, passwordOk: false });
    }
    this.throttle.succeed(email, address);
    const { cookie, csrfToken } = await this.sessions.create(user.id, ctx.ip, ctx.userAgent);
    await this.audit.record(ctx, {
      action: 'auth.login',
      targetType: 'user',
      targetId: user.id,
      actor: { type: 'user', id: user.id },
      diff: { method: user.totp_enabled ? (input.totp ? 'password+totp' : 'password+recovery_code') : 'password' },
    });
    return { user, cookie, csrfToken };
  }

  /**
   * Accepts a TOTP code once: the step it belongs to must be newer than the last
   * accepted one, enforced by a conditional UPDATE so two requests cannot both win.
   */
  async acceptTotp(user: UserRow, code: string): Promise<boolean> {
    if (!user.totp_secret) return false;
    const step = matchTotpStep(this.box.decrypt(user.totp_secret), code, this.clock());
    if (step === undefined) return false;
    const res = await this.db.kysely
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', user.id)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  private async useRecoveryCode(ctx: RequestContext, user: UserRow, code: string): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('recovery_codes')
      .set({ used_at: this.now() })
      .where('user_id', '=', user.id)
      .where('code_hash', '=', sha256(normaliseRecoveryCode(code)))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    const used = Number(res.numUpdatedRows) === 1;
    if (used) {
      await this.audit.record(ctx, { action: 'auth.recovery_code_used', targetType: 'user', targetId: user.id, actor: { type: 'user', id: user.id } });
    }
    return used;
  }

  /** Ends the current session. */
  async logout(ctx: RequestContext): Promise<void> {
    const sessionId = ctx.actor?.sessionId;
    if (!sessionId) return;
    await this.sessions.revoke(sessionId);
    await this.audit.record(ctx, { action: 'auth.logout', targetType: 'user', targetId: ctx.actor?.userId ?? null });
  }

  /**
   * Changes the password after checking the current one; every other session ends.
   * API tokens keep working unless `revokeTokens`: the answer says how many were kept.
   */
  async changePassword(
    ctx: RequestContext,
    currentPassword: string,
    newPassword: string,
    opts: { revokeTokens?: boolean } = {},
  ): Promise<{ sessionsRevoked: number; tokensRevoked: number; tokensKept: number }> {
    const actor = ctx.actor;
    if (!actor) throw invalidCredentials();
    this.checkAttempt(ctx, actor.email);
    const user = await this.db.kysely.selectFrom('users').selectAll().where('id', '=', actor.userId).executeTakeFirstOrThrow();
    if (!(await verifyPassword(user.password_hash, currentPassword))) {
      this.failAttempt(ctx, actor.email);
      throw invalid('auth.wrong_password', 'The current password is wrong.', [{ field: 'body.currentPassword', message: 'wrong password' }]);
    }
    checkPasswordPolicy(newPassword, 'body.newPassword', user.email);
    await this.db.kysely
      .updateTable('users')
      .set({ password_hash: await hashPassword(newPassword), updated_at: this.now() })
      .where('id', '=', user.id)
      .execute();
    const sessionsRevoked = await this.sessions.revokeAllOf(user.id, actor.sessionId);
    const tokensRevoked = opts.revokeTokens ? await this.tokens.revokeAllOf(user.id) : 0;
    const tokensKept = await this.tokens.countLive(user.id);
    await this.audit.record(ctx, { action: 'auth.password_changed', targetType: 'user', targetId: user.id, diff: { sessionsRevoked, tokensRevoked, tokensKept } });
    return { sessionsRevoked, tokensRevoked, tokensKept };
  }

  /** Verifies a user's password (for sensitive changes such as disabling 2FA). */
  async checkPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.db.kysely.selectFrom('users').select('password_hash').where('id', '=', userId).executeTakeFirst();
    return !!user && (await verifyPassword(user.password_hash, password));
  }

  async getUser(userId: string): Promise<UserRow> {
    return this.db.kysely.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
  }
}

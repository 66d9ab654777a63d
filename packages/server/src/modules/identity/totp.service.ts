import type { Db } from '../../db/database.js';
import { AppError, conflict, invalid } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { RequestContext } from './actor.js';
import type { AuditLog } from './audit.service.js';
import type { AuthService } from './auth.service.js';
import { newRecoveryCodes, normaliseRecoveryCode, sha256 } from './secret-tokens.js';
import { newTotpSecret, totpFor } from './totp.js';

/** Two-factor enrolment: begin (secret + otpauth URL), confirm with a code (recovery codes), disable. */
export class TotpService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly auth: AuthService,
    private readonly audit: AuditLog,
    private readonly clock: () => number,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Starts (or restarts) enrolment: a new secret, stored encrypted, not active until confirmed. */
  async begin(ctx: RequestContext): Promise<{ secret: string; otpauthUrl: string }> {
    const actor = requireUser(ctx);
    const user = await this.auth.getUser(actor.userId);
    if (user.totp_enabled) throw conflict('auth.totp_enabled', 'Two-factor sign-in is already on. Disable it first to enrol a new device.');
    const secret = newTotpSecret();
    await this.db.kysely
      .updateTable('users')
      .set({ totp_secret: this.box.encrypt(secret), totp_last_step: null, updated_at: this.now() })
      .where('id', '=', user.id)
      .execute();
    await this.audit.record(ctx, { action: 'auth.totp_enrolment_started', targetType: 'user', targetId: user.id });
    return { secret, otpauthUrl: totpFor(secret, user.email).toString() };
  }

  /** Confirms enrolment with a current code; returns ten single-use recovery codes, shown once. */
  async confirm(ctx: RequestContext, code: string): Promise<string[]> {
    const actor = requireUser(ctx);
    this.auth.checkAttempt(ctx, actor.email);
    const user = await this.auth.getUser(actor.userId);
    if (user.totp_enabled) throw conflict('auth.totp_enabled', 'Two-factor sign-in is already on.');
    if (!user.totp_secret) throw conflict('auth.totp_not_started', 'Start enrolment first (POST /api/v1/me/totp).');
    if (!(await this.auth.acceptTotp(user, code))) {
      this.auth.failAttempt(ctx, actor.email);
      throw invalid('auth.invalid_totp', 'The code is wrong or expired. Check the clock of your device.', [{ field: 'body.code', message: 'wrong code' }]);
    }
    const codes = newRecoveryCodes();
    const now = this.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ totp_enabled: 1, updated_at: now }).where('id', '=', user.id).execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
      await trx
        .insertInto('recovery_codes')
        .values(codes.map((c) => ({ id: newId('rc'), user_id: user.id, code_hash: sha256(normaliseRecoveryCode(c)), used_at: null, created_at: now })))
        .execute();
    });
    await this.audit.record(ctx, { action: 'auth.totp_enabled', targetType: 'user', targetId: user.id });
    return codes;
  }

  /** Turns two-factor sign-in off; needs the password and a current code. */
  async disable(ctx: RequestContext, password: string, code: string): Promise<void> {
    const actor = requireUser(ctx);
    this.auth.checkAttempt(ctx, actor.email);
    const user = await this.auth.getUser(actor.userId);
    if (!user.totp_enabled) throw conflict('auth.totp_disabled', 'Two-factor sign-in is not on.');
    const passwordOk = await this.auth.checkPassword(user.id, password);
    if (!passwordOk || !(await this.auth.acceptTotp(user, code))) {
      this.auth.failAttempt(ctx, actor.email);
      throw invalid('auth.invalid_credentials', 'The password or the code is wrong.', [
        { field: passwordOk ? 'body.code' : 'body.password', message: 'wrong' },
      ]);
    }
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ totp_enabled: 0, totp_secret: null, totp_last_step: null, updated_at: this.now() })
        .where('id', '=', user.id)
        .execute();
      await trx.deleteFrom('recovery_codes').where('user_id', '=', user.id).execute();
    });
    await this.audit.record(ctx, { action: 'auth.totp_disabled', targetType: 'user', targetId: user.id });
  }
}

function requireUser(ctx: RequestContext) {
  if (!ctx.actor) throw new AppError('unauthenticated', 'auth.required', 'Sign in first.');
  if (ctx.actor.kind !== 'user') throw new AppError('forbidden', 'auth.session_required', 'Two-factor settings change only from a signed-in session, not with an API token.');
  return ctx.actor;
}

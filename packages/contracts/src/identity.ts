import { z } from 'zod';
import { isoTime, pageOf, plainText } from './common.js';
import { abilityNames, roleNames } from './values.js';

export const roleSchema = z.enum(roleNames);
export type Role = z.infer<typeof roleSchema>;
export const abilitySchema = z.enum(abilityNames);
export type Ability = z.infer<typeof abilitySchema>;

const email = z.email().max(254).transform((e) => e.toLowerCase());
const password = z.string().min(1).max(256);

export const userSchema = z
  .object({ id: z.string(), email: z.string(), name: z.string(), twoFactorEnabled: z.boolean(), createdAt: isoTime })
  .meta({ id: 'User' });

export const membershipSummarySchema = z.object({
  organizationId: z.string(),
  organizationName: z.string(),
  role: roleSchema,
  requireTwoFactor: z.boolean(),
});

export const setupBody = z.object({
  email,
  password,
  name: plainText(100),
  organizationName: plainText(100),
});

export const loginBody = z.object({
  email: z.string().max(254).transform((e) => e.trim().toLowerCase()),
  password,
  totp: z.string().regex(/^\d{6}$/, 'six digits').optional(),
  recoveryCode: z.string().min(6).max(40).optional(),
});

export const sessionResponse = z.object({ user: userSchema, csrfToken: z.string() }).meta({ id: 'Session' });

export const meResponse = z.object({
  user: userSchema,
  csrfToken: z.string().nullable(),
  memberships: z.array(membershipSummarySchema),
  via: z.enum(['session', 'token']),
  twoFactorRequired: z.boolean().describe('An organization requires 2FA and this user has not enrolled'),
  installationAdmin: z.boolean().describe('Administers the installation itself: /metrics, instance settings, creating organizations'),
}).meta({ id: 'Me' });

export const instanceSettingsSchema = z
  .object({
    allowOrganizationCreation: z.boolean().describe('Any signed-in user may create organizations; otherwise only installation administrators (the default)'),
  })
  .meta({ id: 'InstanceSettings' });
export const instanceSettingsUpdateBody = z.object({ allowOrganizationCreation: z.boolean().optional() }).strict();

export const changePasswordBody = z.object({
  currentPassword: password,
  newPassword: password,
  revokeTokens: z.boolean().optional().describe('Also revoke every API token of this user (they keep working otherwise)'),
});
export const changePasswordResponse = z.object({
  sessionsRevoked: z.number().int().describe('Other sessions signed out'),
  tokensRevoked: z.number().int(),
  tokensKept: z.number().int().describe('API tokens that still work: a password change does not end them'),
}).meta({ id: 'PasswordChanged' });
export const tokensRevokedResponse = z.object({ revoked: z.number().int() }).meta({ id: 'TokensRevoked' });

export const totpBeginResponse = z.object({ secret: z.string(), otpauthUrl: z.string() }).meta({ id: 'TotpEnrolment' });
export const totpConfirmBody = z.object({ code: z.string().regex(/^\d{6}$/, 'six digits') });
export const totpConfirmResponse = z.object({ recoveryCodes: z.array(z.string()) }).meta({ id: 'RecoveryCodes' });
export const totpDisableBody = z.object({ password, code: z.string().regex(/^\d{6}$/, 'six digits') });

export const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    abilities: z.array(abilitySchema),
    expiresAt: isoTime.nullable(),
    lastUsedAt: isoTime.nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'ApiToken' });
export const tokenCreateBody = z.object({
  name: plainText(100),
  abilities: z.array(abilitySchema).min(1),
  expiresAt: z.iso.datetime().optional(),
});
export const tokenCreatedResponse = tokenSchema.extend({ token: z.string().describe('Shown once; store it now') }).meta({ id: 'CreatedApiToken' });

export const organizationSchema = z
  .object({ id: z.string(), name: z.string(), requireTwoFactor: z.boolean(), role: roleSchema, createdAt: isoTime })
  .meta({ id: 'Organization' });
export const organizationCreateBody = z.object({ name: plainText(100) });
export const organizationUpdateBody = z.object({
  name: plainText(100).optional(),
  requireTwoFactor: z.boolean().optional(),
});

export const memberSchema = z
  .object({
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    twoFactorEnabled: z.boolean(),
    projectIds: z.array(z.string()).nullable().describe('null: every project'),
    createdAt: isoTime,
  })
  .meta({ id: 'Member' });
export const memberUpdateBody = z.object({
  role: roleSchema.optional(),
  projectIds: z.array(z.string()).nullable().optional(),
});
export const memberParams = z.object({ id: z.string().min(1).max(64), userId: z.string().min(1).max(64) });

const grantedProjects = z.array(z.string().min(1).max(64)).max(500).nullable().optional();
export const invitationCreateBody = z.object({ email, role: roleSchema, projectIds: grantedProjects.describe('Projects the member may see; null or absent: every project') });
/** Adding a member is inviting them: the same body. */
export const memberAddBody = invitationCreateBody;
export const invitationParams = z.object({ id: z.string().min(1).max(64), invitationId: z.string().min(1).max(64) });
export const invitationSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  projectIds: z.array(z.string()).nullable().optional().describe('null: every project'),
  expiresAt: isoTime,
  url: z.string().optional().describe('Only in the create response: the single-use link'),
}).meta({ id: 'Invitation' });
export const invitationAcceptBody = z.object({
  token: z.string().min(10).max(200),
  name: plainText(100).optional(),
  password: password.optional(),
});

export const auditEventSchema = z
  .object({
    id: z.string(),
    organizationId: z.string().nullable(),
    actorType: z.enum(['user', 'token', 'system', 'anonymous']),
    actorId: z.string().nullable(),
    actorEmail: z.string().nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    diff: z.unknown().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: 'AuditEvent' });
export const auditQuery = z.object({
  organizationId: z.string().max(64).optional(),
  actor: z.string().max(254).optional().describe('user id, token id or email'),
  action: z.string().max(100).optional().describe('exact action, or a prefix ending in `.` (e.g. `auth.`)'),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

// ---------------------------------------------------------------- named responses and client types
export const setupStatusResponse = z.object({ required: z.boolean().describe('True until the first user exists') }).meta({ id: 'SetupStatus' });
export const invitationAcceptedResponse = z
  .object({ organizationId: z.string(), userId: z.string(), createdAccount: z.boolean() })
  .meta({ id: 'InvitationAccepted' });
export const organizationPageSchema = pageOf(organizationSchema, 'OrganizationPage');
export const memberPageSchema = pageOf(memberSchema, 'MemberPage');
export const invitationPageSchema = pageOf(invitationSchema, 'InvitationPage');
export const tokenPageSchema = pageOf(tokenSchema, 'ApiTokenPage');
export const auditEventPageSchema = pageOf(auditEventSchema, 'AuditEventPage');

export type User = z.infer<typeof userSchema>;
export type Membership = z.infer<typeof membershipSummarySchema>;
/** GET /api/v1/me */
export type Me = z.infer<typeof meResponse>;
/** POST /auth/login and /auth/setup */
export type SessionStart = z.infer<typeof sessionResponse>;
export type SetupStatus = z.infer<typeof setupStatusResponse>;
export type SetupInput = z.input<typeof setupBody>;
export type LoginInput = z.input<typeof loginBody>;
export type ChangePasswordInput = z.input<typeof changePasswordBody>;
export type PasswordChanged = z.infer<typeof changePasswordResponse>;
export type TotpEnrolment = z.infer<typeof totpBeginResponse>;
export type RecoveryCodes = z.infer<typeof totpConfirmResponse>;
export type ApiToken = z.infer<typeof tokenSchema>;
export type NewTokenInput = z.input<typeof tokenCreateBody>;
/** POST /tokens: the secret `token` is only ever in this answer. */
export type CreatedToken = z.infer<typeof tokenCreatedResponse>;
export type Organization = z.infer<typeof organizationSchema>;
export type Member = z.infer<typeof memberSchema>;
export type Invitation = z.infer<typeof invitationSchema>;
export type InvitationAcceptInput = z.input<typeof invitationAcceptBody>;
export type InvitationAccepted = z.infer<typeof invitationAcceptedResponse>;
export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditFilter = Omit<z.input<typeof auditQuery>, 'limit' | 'cursor'>;

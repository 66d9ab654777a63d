/**
 * The API's shapes as the UI uses them, inferred from the zod schemas of
 * @devflow/contracts (type-only imports: no zod code reaches the bundle).
 * Request bodies use the schemas' input types, responses their output types.
 */
import type {
  abilitySchema,
  auditEventSchema,
  auditQuery,
  changePasswordBody,
  invitationAcceptBody,
  invitationSchema,
  loginBody,
  meResponse,
  memberSchema,
  membershipSummarySchema,
  problemSchema,
  roleSchema,
  sessionResponse,
  setupBody,
  tokenCreateBody,
  tokenCreatedResponse,
  tokenSchema,
  totpBeginResponse,
  totpConfirmResponse,
  userSchema,
} from '@devflow/contracts';
import type { z } from 'zod';

export type Role = z.infer<typeof roleSchema>;
export const ROLES: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

export type Ability = z.infer<typeof abilitySchema>;
export const ABILITIES: readonly Ability[] = ['read', 'write', 'deploy', 'secrets:read', 'admin', 'metrics:read'];

/** RFC 9457 problem document, as every error response is shaped. */
export type ProblemBody = z.infer<typeof problemSchema>;
/** A field error inside a problem document; `field` is a dotted path such as `body.email`. */
export type FieldError = NonNullable<ProblemBody['errors']>[number];

/** `{ data, nextCursor }` of every list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type User = z.infer<typeof userSchema>;
export type Membership = z.infer<typeof membershipSummarySchema>;
/** GET /api/v1/me */
export type Me = z.infer<typeof meResponse>;
/** POST /auth/login and /auth/setup */
export type SessionStart = z.infer<typeof sessionResponse>;

export type SetupInput = z.input<typeof setupBody>;
export type LoginInput = z.input<typeof loginBody>;
export type ChangePasswordInput = z.input<typeof changePasswordBody>;
export type TotpEnrolment = z.infer<typeof totpBeginResponse>;
export type RecoveryCodes = z.infer<typeof totpConfirmResponse>;

export type ApiToken = z.infer<typeof tokenSchema>;
export type NewTokenInput = z.input<typeof tokenCreateBody>;
/** POST /tokens: the secret `token` is only ever in this answer. */
export type CreatedToken = z.infer<typeof tokenCreatedResponse>;

export type Member = z.infer<typeof memberSchema>;
export type Invitation = z.infer<typeof invitationSchema>;
export type InvitationAcceptInput = z.input<typeof invitationAcceptBody>;
export interface InvitationAccepted {
  organizationId: string;
  userId: string;
  createdAccount: boolean;
}

export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditFilter = Omit<z.input<typeof auditQuery>, 'limit' | 'cursor'>;

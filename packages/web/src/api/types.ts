/**
 * Shapes of the identity API as the UI reads them (see shared API.md). They
 * move to @devflow/contracts once the identity schemas land there.
 */

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';
export const ROLES: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

export type Ability = 'read' | 'write' | 'deploy' | 'secrets:read' | 'admin' | 'metrics:read';
export const ABILITIES: readonly Ability[] = ['read', 'write', 'deploy', 'secrets:read', 'admin', 'metrics:read'];

/** A field error inside a problem document; `field` is a dotted path such as `body.email`. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem document, as every error response is shaped. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  requestId?: string;
}

/** `{ data, nextCursor }` of every list. */
export interface Page<T> {
  data: T[];
  nextCursor?: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string;
  /** Whether two-factor authentication is on (assumed: the users table has `totp_enabled`). */
  totpEnabled?: boolean;
}

export interface Membership {
  organizationId: string;
  organizationName: string;
  role: Role;
}

/** GET /api/v1/me */
export interface Me {
  user: User;
  csrfToken: string;
  memberships: Membership[];
}

/** POST /auth/login and /auth/setup */
export interface SessionStart {
  user: User;
  csrfToken: string;
}

export interface SetupInput {
  email: string;
  password: string;
  name: string;
  organizationName: string;
}

export interface LoginInput {
  email: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

export interface TotpEnrolment {
  secret: string;
  otpauthUrl: string;
}

export interface ApiToken {
  id: string;
  name: string;
  abilities: Ability[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export interface NewTokenInput {
  name: string;
  abilities: Ability[];
  expiresAt?: string;
}

/** POST /tokens: the secret `token` is only ever in this answer. */
export interface CreatedToken {
  id: string;
  name: string;
  abilities: Ability[];
  expiresAt: string | null;
  token: string;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

export interface Invitation {
  id: string;
  url: string;
  expiresAt: string;
}

export interface AuditEvent {
  id: string;
  actorType: string;
  actorId: string | null;
  actorEmail?: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  diff: unknown;
  createdAt: string;
}

export interface AuditFilter {
  organizationId: string;
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
}

import type { Generated } from 'kysely';

/** Row types: organizations, users, sessions, tokens, invitations and the audit log. */

export interface OrganizationsTable {
  id: string;
  name: string;
  require_two_factor: number;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  /** Encrypted TOTP secret (secret box), null until enrolment begins. */
  totp_secret: string | null;
  totp_enabled: number;
  /** Last accepted TOTP time step, so a code is never accepted twice. */
  totp_last_step: number | null;
  created_at: string;
  updated_at: string;
}

/** Users who administer the installation itself (not an organization): /metrics, instance settings. */
export interface InstallationAdminsTable {
  user_id: string;
  created_at: string;
}

export interface MembershipsTable {
  id: string;
  organization_id: string;
  user_id: string;
  role: Role;
  /** 1 when the member only sees the projects listed in membership_projects. */
  project_scoped: Generated<number>;
  created_at: string;
}

export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  id: string;
  user_id: string;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  token_hash: string;
  abilities: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  /** SHA-256 of the normalised code; the code itself is shown once and never stored. */
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string | null;
  expires_at: string;
  accepted_at: string | null;
  revoked_at: string | null;
  created_at: string;
  /** JSON list of granted project ids; null: every project. */
  project_ids: string | null;
}

export interface MembershipProjectsTable {
  membership_id: string;
  project_id: string;
}

export interface AuditEventsTable {
  id: string;
  organization_id: string | null;
  actor_type: 'user' | 'token' | 'system' | 'anonymous';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  diff: string | null;
  created_at: string;
}

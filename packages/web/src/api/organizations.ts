import { api } from './client';
import type { AuditEvent, AuditFilter, Invitation, Member, Page, Role } from '@devflow/contracts';

const org = (id: string) => `/api/v1/organizations/${encodeURIComponent(id)}`;

/** Calls about an organization: members, invitations and the audit log. */
export const organizationsApi = {
  listMembers: (organizationId: string, cursor?: string, signal?: AbortSignal) =>
    api.get<Page<Member>>(`${org(organizationId)}/members`, { query: { cursor }, signal }),
  changeRole: (organizationId: string, userId: string, role: Role) =>
    api.patch<Member>(`${org(organizationId)}/members/${encodeURIComponent(userId)}`, { role }),
  removeMember: (organizationId: string, userId: string) =>
    api.delete<void>(`${org(organizationId)}/members/${encodeURIComponent(userId)}`),
  invite: (organizationId: string, email: string, role: Role) =>
    api.post<Invitation>(`${org(organizationId)}/invitations`, { email, role }),
  listInvitations: (organizationId: string, signal?: AbortSignal) =>
    api.get<Page<Invitation>>(`${org(organizationId)}/invitations`, { signal }),
  /** The link stops working at once. */
  revokeInvitation: (organizationId: string, invitationId: string) =>
    api.delete<void>(`${org(organizationId)}/invitations/${encodeURIComponent(invitationId)}`),

  auditEvents: (filter: AuditFilter, cursor?: string, signal?: AbortSignal, limit = 50) =>
    api.get<Page<AuditEvent>>('/api/v1/audit-events', { query: { ...filter, cursor, limit }, signal }),
};

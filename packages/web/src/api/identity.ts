import { api } from './client';
import type {
  ApiToken,
  CreatedToken,
  InvitationAccepted,
  InvitationAcceptInput,
  LoginInput,
  Me,
  NewTokenInput,
  PasswordChanged,
  Page,
  RecoveryCodes,
  SessionStart,
  SetupInput,
  TotpEnrolment,
} from '@devflow/contracts';

/** Calls of the identity API: sign-in, the signed-in user, two-factor and API tokens. */
export const identityApi = {
  /** Whether the installation still needs its first admin (proposed endpoint; until it exists the login page shows a link). */
  setupStatus: (signal?: AbortSignal) => api.get<{ required: boolean }>('/api/v1/auth/setup', { signal }),
  setup: (input: SetupInput) => api.post<SessionStart>('/api/v1/auth/setup', input),
  login: (input: LoginInput) => api.post<SessionStart>('/api/v1/auth/login', input),
  logout: () => api.post<void>('/api/v1/auth/logout'),
  me: (signal?: AbortSignal) => api.get<Me>('/api/v1/me', { signal }),
  /** API tokens keep working after a password change unless `revokeTokens`; the answer counts them. */
  changePassword: (currentPassword: string, newPassword: string, revokeTokens = false) =>
    api.post<PasswordChanged>('/api/v1/me/password', { currentPassword, newPassword, revokeTokens }),

  beginTotp: () => api.post<TotpEnrolment>('/api/v1/me/totp'),
  confirmTotp: (code: string) => api.post<RecoveryCodes>('/api/v1/me/totp/confirm', { code }),
  disableTotp: (password: string, code: string) => api.delete<void>('/api/v1/me/totp', { password, code }),

  listTokens: (cursor?: string, signal?: AbortSignal) =>
    api.get<Page<ApiToken>>('/api/v1/tokens', { query: { cursor }, signal }),
  createToken: (input: NewTokenInput) => api.post<CreatedToken>('/api/v1/tokens', input),
  revokeAllTokens: () => api.delete<{ revoked: number }>('/api/v1/tokens'),
  revokeToken: (id: string) => api.delete<void>(`/api/v1/tokens/${encodeURIComponent(id)}`),

  /** Joins the invitation's organization: signed in as the invited email, or creating an account (name + password). */
  acceptInvitation: (input: InvitationAcceptInput) => api.post<InvitationAccepted>('/api/v1/invitations/accept', input),
};

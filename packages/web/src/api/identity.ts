import { api } from './client';
import type {
  ApiToken,
  CreatedToken,
  LoginInput,
  Me,
  NewTokenInput,
  Page,
  SessionStart,
  SetupInput,
  TotpEnrolment,
} from './types';

/** Calls of the identity API: sign-in, the signed-in user, two-factor and API tokens. */
export const identityApi = {
  /** Whether the installation still needs its first admin (assumed endpoint; see the web README). */
  setupStatus: (signal?: AbortSignal) => api.get<{ required: boolean }>('/api/v1/auth/setup', { signal }),
  setup: (input: SetupInput) => api.post<SessionStart>('/api/v1/auth/setup', input),
  login: (input: LoginInput) => api.post<SessionStart>('/api/v1/auth/login', input),
  logout: () => api.post<void>('/api/v1/auth/logout'),
  me: (signal?: AbortSignal) => api.get<Me>('/api/v1/me', { signal }),
  changePassword: (currentPassword: string, newPassword: string) =>
    api.post<void>('/api/v1/me/password', { currentPassword, newPassword }),

  beginTotp: () => api.post<TotpEnrolment>('/api/v1/me/totp'),
  confirmTotp: (code: string) => api.post<{ recoveryCodes: string[] }>('/api/v1/me/totp/confirm', { code }),
  disableTotp: (password: string, code: string) => api.delete<void>('/api/v1/me/totp', { password, code }),

  listTokens: (signal?: AbortSignal) => api.get<Page<ApiToken>>('/api/v1/tokens', { signal }),
  createToken: (input: NewTokenInput) => api.post<CreatedToken>('/api/v1/tokens', input),
  revokeToken: (id: string) => api.delete<void>(`/api/v1/tokens/${encodeURIComponent(id)}`),
};

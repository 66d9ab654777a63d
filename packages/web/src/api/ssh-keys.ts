import { api } from './client';
import type { Page, SshKey, SshKeyInput } from '@devflow/contracts';

/** Calls about the SSH keys DevFlow signs in to servers with (public parts only ever come back). */
export const sshKeysApi = {
  list: (organizationId: string, signal?: AbortSignal) =>
    api.get<Page<SshKey>>('/api/v1/ssh-keys', { query: { organizationId, limit: 500 }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<SshKey>(`/api/v1/ssh-keys/${encodeURIComponent(id)}`, { signal }),
  /** Generates an ed25519 key, or imports `privateKey` (decrypted with `passphrase`, which is never stored). */
  create: (input: SshKeyInput) => api.post<SshKey>('/api/v1/ssh-keys', input),
  remove: (id: string) => api.delete<void>(`/api/v1/ssh-keys/${encodeURIComponent(id)}`),
};

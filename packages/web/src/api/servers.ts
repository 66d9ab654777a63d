import { api } from './client';
import type {
  MetricsQuery,
  MetricsSeries,
  Page,
  ProvisionAccepted,
  ProvisionInput,
  ProvisionLogPage,
  ProvisionRun,
  Server,
  ServerDetail,
  ServerInput,
  ServerPatch,
} from '@devflow/contracts';

const server = (id: string) => `/api/v1/servers/${encodeURIComponent(id)}`;
const run = (serverId: string, runId: string) => `${server(serverId)}/provisioning-runs/${encodeURIComponent(runId)}`;

/** Calls about servers: records, connection checks, host keys, provisioning and metrics. */
export const serversApi = {
  list: (organizationId: string, cursor?: string, signal?: AbortSignal) =>
    api.get<Page<Server>>('/api/v1/servers', { query: { organizationId, cursor }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<ServerDetail>(server(id), { signal }),
  create: (input: ServerInput) => api.post<Server>('/api/v1/servers', input),
  update: (id: string, patch: ServerPatch) => api.patch<Server>(server(id), patch),
  remove: (id: string) => api.delete<void>(server(id)),

  /** Connects, pins the host key on first contact (or refuses a changed one) and detects the facts. */
  validate: (id: string) => api.post<Server>(`${server(id)}/validate`),
  /** Pins the different host key the server presented at its last contact (admins). */
  acceptHostKey: (id: string, fingerprint: string) => api.post<Server>(`${server(id)}/accept-host-key`, { fingerprint }),

  provision: (id: string, input: ProvisionInput) => api.post<ProvisionAccepted>(`${server(id)}/provision`, input),
  listRuns: (id: string, signal?: AbortSignal) => api.get<Page<ProvisionRun>>(`${server(id)}/provisioning-runs`, { signal }),
  getRun: (serverId: string, runId: string, signal?: AbortSignal) => api.get<ProvisionRun>(run(serverId, runId), { signal }),
  /** Log lines with seq greater than `after`, oldest first. */
  runLogs: (serverId: string, runId: string, after: number, signal?: AbortSignal) =>
    api.get<ProvisionLogPage>(`${run(serverId, runId)}/logs`, { query: { after, limit: 1000 }, signal }),

  metrics: (id: string, query: MetricsQuery, signal?: AbortSignal) =>
    api.get<MetricsSeries>(`${server(id)}/metrics`, { query: { ...query }, signal }),
};

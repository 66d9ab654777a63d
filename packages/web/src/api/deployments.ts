import { api } from './client';
import type {
  DeploymentInput,
  Deployment,
  DetectInput,
  DetectResult,
  Environment,
  EnvironmentInput,
  EnvironmentPatch,
  Page,
  Project,
  ProjectCreated,
  ProjectInput,
  Release,
  Variables,
  WebhookInfo,
} from '@devflow/contracts';

const project = (id: string) => `/api/v1/projects/${encodeURIComponent(id)}`;
const environment = (id: string) => `/api/v1/environments/${encodeURIComponent(id)}`;
const deployment = (id: string) => `/api/v1/deployments/${encodeURIComponent(id)}`;

/** Calls about projects: detection, records and their environments. */
export const projectsApi = {
  detect: (input: DetectInput) => api.post<DetectResult>('/api/v1/projects/detect', input),
  list: (organizationId: string, cursor?: string, signal?: AbortSignal, limit?: number) =>
    api.get<Page<Project>>('/api/v1/projects', { query: { organizationId, cursor, limit }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Project>(project(id), { signal }),
  create: (input: ProjectInput) => api.post<ProjectCreated>('/api/v1/projects', input),
  remove: (id: string) => api.delete<void>(project(id)),
  /** A copy under a new name, with the environments and variables (not the deployments). */
  clone: (id: string, name: string) => api.post<Project>(`${project(id)}/clone`, { name }),
  environments: (id: string, signal?: AbortSignal) => api.get<Page<Environment>>(`${project(id)}/environments`, { signal }),
  createEnvironment: (id: string, input: EnvironmentInput) => api.post<Environment>(`${project(id)}/environments`, input),
};

/** Calls about one environment: settings, variables, webhooks, deployments, releases. */
export const environmentsApi = {
  get: (id: string, signal?: AbortSignal) => api.get<Environment>(environment(id), { signal }),
  update: (id: string, patch: EnvironmentPatch) => api.patch<Environment>(environment(id), patch),
  remove: (id: string) => api.delete<void>(environment(id)),
  variables: (id: string, signal?: AbortSignal) => api.get<Variables>(`${environment(id)}/variables`, { signal }),
  /** Replaces the whole set: a key left out is deleted. */
  putVariables: (id: string, variables: Record<string, string>) => api.put<Variables>(`${environment(id)}/variables`, { variables }),
  webhook: (id: string, signal?: AbortSignal) => api.get<WebhookInfo>(`${environment(id)}/webhook`, { signal }),
  /** A new secret: webhooks signed with the old one are refused from now on. */
  rotateWebhook: (id: string) => api.post<WebhookInfo>(`${environment(id)}/webhook/rotate`),
  deployments: (id: string, limit = 20, signal?: AbortSignal) =>
    api.get<Page<Deployment>>(`${environment(id)}/deployments`, { query: { limit }, signal }),
  deploy: (id: string, input: DeploymentInput = {}) => api.post<Deployment>(`${environment(id)}/deployments`, input),
  releases: (id: string, signal?: AbortSignal) => api.get<Page<Release>>(`${environment(id)}/releases`, { signal }),
  rollback: (id: string, releaseId?: string) => api.post<Deployment>(`${environment(id)}/rollback`, releaseId ? { releaseId } : {}),
  maintenance: (id: string, enabled: boolean) => api.post<Environment>(`${environment(id)}/maintenance`, { enabled }),
};

/** Calls about one deployment. */
export const deploymentsApi = {
  get: (id: string, signal?: AbortSignal) => api.get<Deployment>(deployment(id), { signal }),
  cancel: (id: string) => api.post<Deployment>(`${deployment(id)}/cancel`),
  approve: (id: string) => api.post<Deployment>(`${deployment(id)}/approve`),
  reject: (id: string, reason?: string) => api.post<Deployment>(`${deployment(id)}/reject`, reason ? { reason } : {}),
  /** Path of the live log: EventSource sends Accept: text/event-stream and resumes with Last-Event-ID. */
  logStreamUrl: (id: string) => `${deployment(id)}/logs`,
};

import { api } from './client';
import type { Certificate, CertificateOrder, CertificateUploadInput, Domain, DomainInput, Page } from '@devflow/contracts';

const domain = (id: string) => `/api/v1/domains/${encodeURIComponent(id)}`;

/** Calls about the domains of an environment: records, ownership checks and ACME orders. */
export const domainsApi = {
  list: (environmentId: string, signal?: AbortSignal) =>
    api.get<Page<Domain>>(`/api/v1/environments/${encodeURIComponent(environmentId)}/domains`, { signal }),
  create: (environmentId: string, input: DomainInput) => api.post<Domain>(`/api/v1/environments/${encodeURIComponent(environmentId)}/domains`, input),
  get: (id: string, signal?: AbortSignal) => api.get<Domain>(domain(id), { signal }),
  remove: (id: string) => api.delete<void>(domain(id)),
  /** Checks the TXT record or the HTTP token; 422 domain.verification_failed says what was found. */
  verify: (id: string) => api.post<Domain>(`${domain(id)}/verify`, {}),
  /** Issues or renews the certificate via ACME in a job (202). */
  requestCertificate: (id: string) => api.post<CertificateOrder>(`${domain(id)}/certificate`),
};

/** Calls about certificates: the organization's list and custom uploads (checked by the server, 422 naming the reason). */
export const certificatesApi = {
  list: (organizationId: string, cursor?: string, signal?: AbortSignal) =>
    api.get<Page<Certificate>>('/api/v1/certificates', { query: { organizationId, cursor }, signal }),
  upload: (input: CertificateUploadInput) => api.post<Certificate>('/api/v1/certificates', input),
};

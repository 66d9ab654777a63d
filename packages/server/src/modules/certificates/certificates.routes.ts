import { certificateListQuery, certificatePageSchema, certificateSchema, certificateUploadBody, idParams } from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import { presentCertificate, type CertificateService } from './certificates.service.js';

const certificate = { type: 'certificate', in: 'params', key: 'id' } as const;
const tags = ['certificates'];

/** Certificates: the list, custom uploads (checked, 422 naming the reason) and one certificate (never its key). */
export function registerCertificateRoutes(app: HttpApp, certificates: CertificateService): void {
  app.get('/api/v1/certificates', {
    config: { access: { action: 'certificate.read' } },
    schema: { tags, summary: 'Certificates of the organizations the caller belongs to', querystring: certificateListQuery, response: { 200: certificatePageSchema } },
  }, async (req) => certificates.list(req.ctx, req.query));

  app.post('/api/v1/certificates', {
    config: { access: { action: 'certificate.write' } },
    schema: {
      tags,
      summary: 'Upload a custom certificate; checks key match, chain order, expiry and names (422 certificate.key_mismatch, .chain_order, .expired, .name_mismatch…)',
      body: certificateUploadBody,
      response: { 201: certificateSchema },
    },
  }, async (req, reply) => reply.code(201).send(await certificates.upload(req.ctx, req.body)));

  app.get('/api/v1/certificates/:id', {
    config: { access: { action: 'certificate.read', resource: certificate } },
    schema: { tags, summary: 'Subject, names, issuer and validity; never the key', params: idParams, response: { 200: certificateSchema } },
  }, async (req) => presentCertificate(await certificates.get(req.params.id)));
}

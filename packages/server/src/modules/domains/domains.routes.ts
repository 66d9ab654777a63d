import {
  certificateOrderResponse,
  dnsProviderCreateBody,
  dnsProviderPageSchema,
  dnsProviderSchema,
  domainCreateBody,
  domainPageSchema,
  domainSchema,
  domainVerifyBody,
  idParams,
  noContent,
  orgDnsProviderParams,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import type { DnsProviderService } from './dns-providers.service.js';
import { presentDomain, type DomainService } from './domains.service.js';

export interface DomainRouteDeps {
  domains: DomainService;
  dnsProviders: DnsProviderService;
}

const environment = { type: 'environment', in: 'params', key: 'id' } as const;
const domain = { type: 'domain', in: 'params', key: 'id' } as const;
const organization = { type: 'organization', in: 'params', key: 'id' } as const;
const tags = ['domains'];

/** Domains of environments, their verification and certificate orders, and DNS providers of organizations. */
export function registerDomainRoutes(app: HttpApp, d: DomainRouteDeps): void {
  app.get('/api/v1/environments/:id/domains', {
    config: { access: { action: 'domain.read', resource: environment } },
    schema: { tags, params: idParams, response: { 200: domainPageSchema } },
  }, async (req) => ({ data: await d.domains.list(req.params.id), nextCursor: null }));

  app.post('/api/v1/environments/:id/domains', {
    config: { access: { action: 'domain.write', resource: environment } },
    schema: {
      tags,
      summary: 'Add a domain: IDN becomes punycode, unique across the installation (409), redirects checked; put on the servers in the background',
      params: idParams,
      body: domainCreateBody,
      response: { 201: domainSchema },
    },
  }, async (req, reply) => reply.code(201).send(await d.domains.create(req.ctx, req.params.id, req.body)));

  app.get('/api/v1/domains/:id', {
    config: { access: { action: 'domain.read', resource: domain } },
    schema: { tags, params: idParams, response: { 200: domainSchema } },
  }, async (req) => presentDomain(await d.domains.get(req.params.id)));

  app.delete('/api/v1/domains/:id', {
    config: { access: { action: 'domain.write', resource: domain } },
    schema: { tags, summary: 'Delete a domain; its nginx files and certificates leave the servers in the background', params: idParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await d.domains.delete(req.ctx, req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/domains/:id/verify', {
    config: { access: { action: 'domain.write', resource: domain } },
    schema: {
      tags,
      summary: 'Check ownership: TXT _devflow-challenge.<host> = token, or the token at http://<host>/.well-known/devflow-verify/<token>; 422 domain.verification_failed says what was found',
      params: idParams,
      body: domainVerifyBody,
      response: { 200: domainSchema },
    },
  }, async (req) => d.domains.verify(req.ctx, req.params.id, req.body?.method));

  app.post('/api/v1/domains/:id/certificate', {
    config: { access: { action: 'certificate.write', resource: domain } },
    schema: {
      tags: ['certificates'],
      summary: 'Issue or renew the certificate via ACME (a job); an unverified domain may order too: the CA validating it through the environment (HTTP-01 or DNS-01) verifies it',
      params: idParams,
      response: { 202: certificateOrderResponse },
    },
  }, async (req, reply) => reply.code(202).send(await d.domains.requestCertificate(req.ctx, req.params.id)));

  app.get('/api/v1/organizations/:id/dns-providers', {
    config: { access: { action: 'domain.read', resource: organization } },
    schema: { tags, summary: 'DNS providers that answer DNS-01 challenges (credentials never shown)', params: idParams, response: { 200: dnsProviderPageSchema } },
  }, async (req) => ({ data: await d.dnsProviders.list(req.params.id), nextCursor: null }));

  app.post('/api/v1/organizations/:id/dns-providers', {
    config: { access: { action: 'organization.update', resource: organization } },
    schema: { tags, summary: 'Add a DNS provider (challtestsrv, powerdns, rfc2136, cloudflare, route53); credentials are stored encrypted', params: idParams, body: dnsProviderCreateBody, response: { 201: dnsProviderSchema } },
  }, async (req, reply) => reply.code(201).send(await d.dnsProviders.create(req.ctx, req.params.id, req.body)));

  app.delete('/api/v1/organizations/:id/dns-providers/:providerId', {
    config: { access: { action: 'organization.update', resource: organization } },
    schema: { tags, params: orgDnsProviderParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await d.dnsProviders.delete(req.ctx, req.params.id, req.params.providerId);
    return reply.code(204).send(null);
  });
}

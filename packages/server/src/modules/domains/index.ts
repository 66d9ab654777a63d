/**
 * Public entry of domains: the services and job names other modules
 * (certificates) use. Other modules import only from here
 * (eslint.config.js).
 */
export type { DnsProviderService } from './dns-providers.service.js';
export type { DomainRow, DomainSiteService } from './domain-sites.service.js';
export { DOMAIN_JOBS } from './domains.service.js';
export type { DomainService } from './domains.service.js';

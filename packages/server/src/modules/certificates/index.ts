/**
 * Public entry of certificates: issuance, monitoring, uploads and their
 * routes, wired by the domains module. Other modules import only from here
 * (eslint.config.js).
 */
export { AcmeAccounts } from './acme-accounts.js';
export { CertificateIssuance } from './certificate-issuance.service.js';
export { CertificateMonitor } from './certificate-monitor.service.js';
export { registerCertificateRoutes } from './certificates.routes.js';
export { CertificateService } from './certificates.service.js';

/**
 * Public entry of identity: the request context, the audit log and the guard
 * other modules receive (wiring is identity.module.ts). Other modules import
 * only from here (eslint.config.js).
 */
export type { Actor, RequestContext } from './actor.js';
export { AuditLog } from './audit.service.js';
export type { AuditEntry } from './audit.service.js';
export type { IdentityGuard } from './identity.guard.js';

/**
 * Public entry of servers: the server service other modules use (wiring is
 * servers.module.ts). Other modules import only from here
 * (eslint.config.js).
 */
export type { ServerService } from './servers.service.js';

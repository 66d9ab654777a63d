/**
 * Public entry of ssh-keys: keys and the organization checks of body-scoped
 * routes, wired by the servers module. Other modules import only from here
 * (eslint.config.js).
 */
export { registerSshKeyRoutes } from './ssh-keys.routes.js';
export { authorizeIn, SshKeyService, visibleOrganizations } from './ssh-keys.service.js';

/**
 * Public entry of projects: services, routes, detection and repository
 * rules, wired by the deployments module. Other modules import only from
 * here (eslint.config.js).
 */
export { ProjectDetector } from './project-detector.js';
export { registerProjectRoutes } from './projects.routes.js';
export { presentProject, ProjectService } from './projects.service.js';
export type { ProjectRow } from './projects.service.js';
export { allowedProtocols } from './repository-url.js';
export { CloneProjectCommand } from './clone-project.command.js';
export type { CloneServices } from './clone-project.command.js';
export { DeleteProjectCommand } from './delete-project.command.js';

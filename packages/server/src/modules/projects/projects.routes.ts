import {
  detectBody,
  detectResponse,
  idParams,
  noContent,
  projectCloneBody,
  projectCreateBody,
  projectCreatedResponse,
  projectListQuery,
  projectPageSchema,
  projectSchema,
  projectUpdateBody,
} from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import type { CloneProjectCommand } from './clone-project.command.js';
import type { DeleteProjectCommand } from './delete-project.command.js';
import { presentProject, type ProjectService } from './projects.service.js';

export interface ProjectRouteDeps {
  projects: ProjectService;
  cloneProject: CloneProjectCommand;
  deleteProject: DeleteProjectCommand;
}

const project = { type: 'project', in: 'params', key: 'id' } as const;
const tags = ['projects'];

/** Projects: detection, records with their deploy key, clone. */
export function registerProjectRoutes(app: HttpApp, d: ProjectRouteDeps): void {
  app.post('/api/v1/projects/detect', {
    config: { access: { action: 'project.write' } },
    schema: { tags, summary: 'Detect the framework of a repository branch (shallow clone on the control plane)', body: detectBody, response: { 200: detectResponse } },
  }, async (req) => d.projects.detect(req.ctx, req.body));

  app.get('/api/v1/projects', {
    config: { access: { action: 'project.read' } },
    schema: { tags, summary: "Projects the caller may see", querystring: projectListQuery, response: { 200: projectPageSchema } },
  }, async (req) => d.projects.list(req.ctx, req.query));

  app.post('/api/v1/projects', {
    // The organization is checked by the service (developer or above there), so callers without the role anywhere get 403 first.
    config: { access: { action: 'project.write' } },
    schema: {
      tags,
      summary: 'Create a project: an ed25519 deploy key is generated (add its public half to the repository) and the framework detected',
      body: projectCreateBody,
      response: { 201: projectCreatedResponse },
    },
  }, async (req, reply) => reply.code(201).send(await d.projects.create(req.ctx, req.body)));

  app.get('/api/v1/projects/:id', {
    config: { access: { action: 'project.read', resource: project } },
    schema: { tags, params: idParams, response: { 200: projectSchema } },
  }, async (req) => presentProject(await d.projects.get(req.params.id)));

  app.patch('/api/v1/projects/:id', {
    config: { access: { action: 'project.write', resource: project } },
    schema: { tags, params: idParams, body: projectUpdateBody, response: { 200: projectSchema } },
  }, async (req) => d.projects.update(req.ctx, req.params.id, req.body));

  app.delete('/api/v1/projects/:id', {
    config: { access: { action: 'project.write', resource: project } },
    schema: {
      tags,
      summary: "Delete the project, its environments, variables, deployments and releases; a job takes the environments' sites and pools off the servers (their directories stay)",
      params: idParams,
      response: { 204: noContent },
    },
  }, async (req, reply) => {
    await d.deleteProject.execute(req.ctx, req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/projects/:id/clone', {
    config: { access: { action: 'project.write', resource: project } },
    schema: { tags, summary: 'Copy the project under a new name, with its environments and variables', params: idParams, body: projectCloneBody, response: { 201: projectSchema } },
  }, async (req, reply) => reply.code(201).send(await d.cloneProject.execute(req.ctx, req.params.id, req.body)));
}

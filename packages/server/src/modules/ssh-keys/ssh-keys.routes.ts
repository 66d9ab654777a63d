import { idParams, noContent, sshKeyCreateBody, sshKeyListQuery, sshKeyPageSchema, sshKeySchema } from '@devflow/contracts';
import type { HttpApp } from '../../http/app.js';
import { authorizeIn, presentSshKey, type SshKeyService } from './ssh-keys.service.js';

const keyResource = { type: 'ssh_key', in: 'params', key: 'id' } as const;

/** SSH keys: generate or import, list, show (public parts only), delete. */
export function registerSshKeyRoutes(app: HttpApp, keys: SshKeyService): void {
  app.get('/api/v1/ssh-keys', {
    config: { access: { action: 'ssh_key.read' } },
    schema: { tags: ['ssh-keys'], summary: "SSH keys of the caller's organizations", querystring: sshKeyListQuery, response: { 200: sshKeyPageSchema } },
  }, async (req) => keys.list(req.ctx, req.query));

  app.post('/api/v1/ssh-keys', {
    // Needs the action somewhere; the service decides for body.organizationId (404 outside it, 403 below admin).
    config: { access: { action: 'ssh_key.write' } },
    schema: {
      tags: ['ssh-keys'],
      summary: 'Generate an ed25519 key, or import a private key (OpenSSH or PEM, with its passphrase)',
      body: sshKeyCreateBody,
      response: { 201: sshKeySchema },
    },
  }, async (req, reply) => {
    authorizeIn(req.ctx, req.body.organizationId, 'ssh_key.write');
    return reply.code(201).send(await keys.create(req.ctx, req.body));
  });

  app.get('/api/v1/ssh-keys/:id', {
    config: { access: { action: 'ssh_key.read', resource: keyResource } },
    schema: { tags: ['ssh-keys'], summary: 'Public key and fingerprint', params: idParams, response: { 200: sshKeySchema } },
  }, async (req) => presentSshKey(await keys.get(req.params.id)));

  app.delete('/api/v1/ssh-keys/:id', {
    config: { access: { action: 'ssh_key.write', resource: keyResource } },
    schema: { tags: ['ssh-keys'], summary: 'Delete a key no server uses', params: idParams, response: { 204: noContent } },
  }, async (req, reply) => {
    await keys.delete(req.ctx, req.params.id);
    return reply.code(204).send(null);
  });
}

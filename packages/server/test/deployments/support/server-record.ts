import type { Session, TestApp } from '../../support/app.js';

/**
 * A server row (with a new SSH key) that no test connects to: enough for an
 * environment to have a server, so deployments queue and deletes plan a teardown.
 */
export async function createServerRecord(t: TestApp, owner: Session & { organizationId: string }): Promise<string> {
  const key = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name: 'k' } });
  if (key.status !== 201) throw new Error(`ssh key: ${key.status} ${key.text}`);
  const srv = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, name: 'web', host: '127.0.0.1', port: 22, sshKeyId: key.json.id } });
  if (srv.status !== 201) throw new Error(`server: ${srv.status} ${srv.text}`);
  return String(srv.json.id);
}

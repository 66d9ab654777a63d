/** Helpers of the servers lab tests: a control plane, an SSH key and real OpenSSH servers from the lab. */
import net from 'node:net';
import type { SshTarget } from '../../src/adapters/ssh/ssh-executor.js';
import { startServer, type LabServer } from '../support/lab.js';
import type { Session, TestApp } from '../support/app.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `probe` returns a truthy value, failing after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 30_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Name resolution for the tests: loopback names only, every other name fails
 * like an unknown host — so no test sends a DNS query off this machine.
 */
export async function loopbackLookup(host: string): Promise<string> {
  if (host === 'localhost' || host.endsWith('.localhost')) return '127.0.0.1';
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
}

/** A loopback port where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A loopback port that accepts TCP and then says nothing (a hung server). */
export async function silentPort(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

/** Generates a key through the API. */
export async function createKey(t: Pick<TestApp, 'request'>, owner: Session & { organizationId: string }, name: string): Promise<{ id: string; publicKey: string; fingerprint: string }> {
  const res = await t.request('POST', '/api/v1/ssh-keys', { session: owner, body: { organizationId: owner.organizationId, name } });
  if (res.status !== 201) throw new Error(`key: ${res.status} ${res.text}`);
  return res.json as unknown as { id: string; publicKey: string; fingerprint: string };
}

/** Adds a server record through the API. */
export async function createServer(
  t: Pick<TestApp, 'request'>,
  owner: Session & { organizationId: string },
  body: { name: string; host: string; port: number; sshKeyId: string; user?: string },
): Promise<Record<string, unknown> & { id: string }> {
  const res = await t.request('POST', '/api/v1/servers', { session: owner, body: { organizationId: owner.organizationId, ...body } });
  if (res.status !== 201) throw new Error(`server: ${res.status} ${res.text}`);
  return res.json as Record<string, unknown> & { id: string };
}

/** Fingerprints (SHA256:…) of every host key in a lab server. */
export async function hostFingerprints(lab: LabServer): Promise<string[]> {
  const res = await lab.exec(['sh', '-c', 'for f in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$f"; done']);
  return res.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[1] as string);
}

/** Gives a lab server a new set of host keys and restarts sshd, as a reinstall would. */
export async function regenerateHostKeys(lab: LabServer): Promise<void> {
  const res = await lab.exec(['sh', '-c', 'rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && service ssh restart >/dev/null']);
  if (res.code !== 0) throw new Error(`host key regeneration failed: ${res.stderr}`);
  // sshd is back once it answers with its banner.
  await waitFor('sshd after restart', async () => (await lab.exec(['sh', '-c', 'pgrep -x sshd >/dev/null'])).code === 0, 10_000);
  await sleep(300);
}

/** Adds `user` with the authorized key, with passwordless sudo unless `sudo` is false. */
export async function addUser(lab: LabServer, user: string, publicKey: string, sudo = true): Promise<void> {
  const script = [
    'set -e',
    'id -u "$1" >/dev/null 2>&1 || useradd -m -s /bin/bash "$1"',
    'install -d -m 700 -o "$1" -g "$1" "/home/$1/.ssh"',
    'printf "%s\\n" "$2" > "/home/$1/.ssh/authorized_keys"',
    'chown "$1:$1" "/home/$1/.ssh/authorized_keys"; chmod 600 "/home/$1/.ssh/authorized_keys"',
    'if [ "$3" = yes ]; then printf "%s ALL=(ALL) NOPASSWD:ALL\\n" "$1" > "/etc/sudoers.d/$1"; chmod 440 "/etc/sudoers.d/$1"; fi',
  ].join('\n');
  const res = await lab.exec(['sh', '-c', script, 'add-user', user, publicKey, sudo ? 'yes' : 'no']);
  if (res.code !== 0) throw new Error(`adding ${user} failed: ${res.stderr}`);
}

/** Processes in a lab server whose command line matches `pattern`. */
export async function processes(lab: LabServer, pattern: RegExp): Promise<string[]> {
  const res = await lab.exec(['ps', '-eo', 'pid,args']);
  return res.stdout.split('\n').filter((l) => pattern.test(l) && !/ps -eo/.test(l));
}

/** True when /tmp/pwned exists in the lab server. */
export async function pwned(lab: LabServer, file = '/tmp/pwned'): Promise<boolean> {
  return (await lab.exec(['test', '-e', file])).code === 0;
}

/** An SSH target for a lab server (for executor-level tests). */
export function targetOf(lab: LabServer, privateKey: string, user = 'root', hostKeyFingerprint: string | null = null, id = `${lab.name}:${user}`): SshTarget {
  return { id, host: lab.host, port: lab.port, user, privateKey, hostKeyFingerprint };
}

export { startServer };

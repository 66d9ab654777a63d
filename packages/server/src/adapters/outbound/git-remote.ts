import net from 'node:net';
import type { OutboundGuard } from './outbound-guard.js';

/** How one git command reaches a remote only at the address the guard checked. */
export interface PinnedGitRemote {
  /** The URL to give git (git:// URLs carry the checked address instead of the name). */
  url: string;
  /** `-c key=value` pairs to put before git's subcommand. */
  gitArgs: string[];
  /** Extra ssh options (`-o HostName=<address>`) for GIT_SSH_COMMAND. */
  sshOptions: string[];
}

const SCP_LIKE = /^(?:[^@/\s]+@)?(\[[^\]]+\]|[^:/\s]+):(?!\/\/)/;

/** The host and port of a remote URL (https, ssh, git, scp-like); null for local paths. */
export function remoteHost(url: string): { protocol: 'https' | 'http' | 'ssh' | 'git'; host: string; port: number } | null {
  if (url.startsWith('/') || url.startsWith('file:')) return null;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    const m = SCP_LIKE.exec(url);
    return m?.[1] ? { protocol: 'ssh', host: m[1].replace(/^\[|\]$/g, ''), port: 22 } : null;
  }
  const u = new URL(url);
  const protocol = u.protocol.replace(/:$/, '');
  const ports: Record<string, number> = { https: 443, http: 80, ssh: 22, git: 9418 };
  const fallback = ports[protocol];
  if (fallback === undefined) return null;
  return { protocol: protocol as 'https', host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : fallback };
}

/**
 * Resolves and checks a remote's host through the guard (throws
 * OutboundRefusedError), then says how to pin git to the checked address:
 * curl's resolve list for http(s), ssh's HostName for ssh, the address in
 * the URL for git://. Redirects are never followed.
 */
export async function pinGitRemote(guard: OutboundGuard, url: string): Promise<PinnedGitRemote> {
  const remote = remoteHost(url);
  const gitArgs = ['-c', 'http.followRedirects=false'];
  if (!remote) return { url, gitArgs, sshOptions: [] };
  const [address] = await guard.resolve(remote.host);
  if (!address || net.isIP(remote.host)) return { url, gitArgs, sshOptions: [] };
  const bracketed = net.isIPv6(address) ? `[${address}]` : address;
  switch (remote.protocol) {
    case 'https':
    case 'http':
      return { url, gitArgs: [...gitArgs, '-c', `http.curloptResolve=${remote.host}:${remote.port}:${bracketed}`], sshOptions: [] };
    case 'ssh':
      return { url, gitArgs, sshOptions: ['-o', `HostName=${address}`] };
    case 'git': {
      const u = new URL(url);
      u.hostname = bracketed;
      return { url: u.toString(), gitArgs, sshOptions: [] };
    }
  }
}

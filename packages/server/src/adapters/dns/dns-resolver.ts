import { Resolver } from 'node:dns/promises';

/** Looks names up on chosen DNS servers (not the system's cache), for ownership checks and DNS-01 propagation. */
export interface DnsLookup {
  /** TXT values at `name` (each record's strings joined); [] when the name or type does not exist. */
  txt(name: string): Promise<string[]>;
  /** IPv4 and IPv6 addresses of `name`; [] when it has none. */
  addresses(name: string): Promise<string[]>;
}

/**
 * A DnsLookup over node:dns with its own servers (`host` or `host:port`),
 * e.g. the public resolvers in production or the test DNS on 127.0.0.1.
 * Without servers, the system's resolvers are used.
 */
export class DnsResolver implements DnsLookup {
  private readonly resolver: Resolver;

  constructor(servers: readonly string[] = [], timeoutMs = 5000) {
    this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (servers.length) this.resolver.setServers([...servers]);
  }

  async txt(name: string): Promise<string[]> {
    try {
      return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (err) {
      if (isAbsent(err)) return [];
      throw err;
    }
  }

  async addresses(name: string): Promise<string[]> {
    const out: string[] = [];
    for (const lookup of [() => this.resolver.resolve4(name), () => this.resolver.resolve6(name)]) {
      try {
        out.push(...(await lookup()));
      } catch (err) {
        if (!isAbsent(err)) throw err;
      }
    }
    return out;
  }
}

function isAbsent(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ENONAME' || code === 'NXDOMAIN';
}

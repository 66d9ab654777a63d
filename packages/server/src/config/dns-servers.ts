import { isIP } from 'node:net';
import { z } from 'zod';

/** `ip`, `ip:port` or `[ipv6]:port` → the form node:dns `setServers` takes, or undefined when it is none of these. */
function dnsServer(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const v4 = /^([0-9.]+)(?::(\d+))?$/.exec(entry);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : v4 ? [v4[1], v4[2]] : [entry, undefined];
  if (!host || !isIP(host)) return undefined;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return undefined;
  if (port === undefined) return host;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * DEVFLOW_DNS_SERVERS: comma-separated resolvers (IP addresses, not names:
 * a resolver is what turns names into addresses) for ownership checks,
 * DNS-01 propagation and certificate checks, for split-horizon or internal DNS.
 */
export const dnsServersSchema = z.string().transform((value, ctx) => {
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = entries.filter((e) => dnsServer(e) === undefined);
  if (bad.length || !entries.length) {
    ctx.addIssue({
      code: 'custom',
      message: `must be comma-separated ip[:port] entries (e.g. 10.0.0.2,10.0.0.3:5353,[fd00::53]:53); not valid: ${bad.join(', ') || '(empty)'}`,
    });
    return z.NEVER;
  }
  return entries.map((e) => dnsServer(e) as string);
});

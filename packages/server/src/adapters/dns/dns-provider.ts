/**
 * The port through which DevFlow writes DNS records it needs (ACME DNS-01
 * TXT records). Like Kysely's `Dialect`: a small interface, one folder per
 * implementation (challtestsrv, powerdns, rfc2136, cloudflare, route53), and
 * nothing outside this folder knows a provider's API.
 */
import { AppError } from '../../lib/errors.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';

/** Options of one provider call. */
export interface DnsCallOptions {
  /** Aborts the HTTP/TCP exchange. */
  signal?: AbortSignal;
}

/** Writes TXT records in a zone a provider hosts. */
export interface DnsProvider {
  /** The provider's kind, as stored (`cloudflare`, `route53`…). */
  readonly kind: string;
  /** Publishes `value` as a TXT record at `fqdn` (no trailing dot); other values of that name may be kept or replaced (see each implementation). */
  addTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void>;
  /** Removes the TXT value at `fqdn`; a value that is already gone is not an error. */
  removeTxt(fqdn: string, value: string, opts?: DnsCallOptions): Promise<void>;
}

/** A provider refused or could not be reached; `meta` carries the status and a short body. */
export class DnsProviderError extends AppError {
  constructor(kind: string, message: string, opts: { cause?: unknown; meta?: Record<string, unknown> } = {}) {
    super('unprocessable', 'dns.provider_failed', `${kind}: ${message}`, opts);
    this.name = 'DnsProviderError';
  }
}

/** A provider's settings: non-secret config and decrypted credentials, and the guard its requests go through. */
export interface DnsProviderSettings {
  config: Readonly<Record<string, string | number>>;
  credentials: Readonly<Record<string, string>>;
  /** API URLs are given by users: every request goes through the outbound guard. */
  outbound: OutboundGuard;
}

/** Reads a required string setting or throws a clear error. */
export function setting(kind: string, from: Readonly<Record<string, string | number>>, key: string): string {
  const v = from[key];
  if (v === undefined || v === '') throw new AppError('invalid', 'dns.provider_config', `${kind} needs "${key}".`, { fields: [{ field: key, message: 'required' }] });
  return String(v);
}

/**
 * A request through the outbound guard with a time limit and the caller's
 * signal; throws DnsProviderError on network failure, OutboundRefusedError
 * when the URL's host is a private address the installation does not allow.
 */
export async function providerFetch(
  kind: string,
  outbound: OutboundGuard,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  opts: DnsCallOptions = {},
  timeoutMs = 30_000,
): Promise<Response> {
  const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])];
  try {
    return await outbound.fetch(url, { ...init, signal: AbortSignal.any(signals) });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new DnsProviderError(kind, `cannot reach ${new URL(url).origin}: ${(err as Error).message}`, { cause: err });
  }
}

/** Throws DnsProviderError with the status and the start of the body when a response is not 2xx. */
export async function expectOk(kind: string, what: string, res: Response): Promise<string> {
  const text = await res.text();
  if (!res.ok) throw new DnsProviderError(kind, `${what} failed with HTTP ${res.status}: ${text.slice(0, 300)}`, { meta: { status: res.status } });
  return text;
}

/** A name with exactly one trailing dot (fully qualified). */
export function fqdnDot(name: string): string {
  return `${name.replace(/\.+$/, '')}.`;
}

import { AppError } from '../../lib/errors.js';

/**
 * Validation of every value that reaches an nginx or php-fpm config file.
 * Nothing is escaped: a config language has no quoting that survives every
 * directive, so values are held to strict allowlists and anything else is
 * refused with `proxy.invalid_config`, naming the field.
 */

/** The error of a value that cannot go into a config file. */
export function invalidConfig(field: string, message: string): AppError {
  return new AppError('invalid', 'proxy.invalid_config', `Invalid ${field}: ${message}`, { fields: [{ field, message }] });
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

/** A DNS name (already punycoded), lower-cased; `*.` is allowed as the first label. */
export function hostname(field: string, value: unknown, opts: { wildcard?: boolean } = {}): string {
  if (typeof value !== 'string') throw invalidConfig(field, 'a host name is required.');
  const v = value.toLowerCase();
  if (v.length > 253 || !HOSTNAME.test(v)) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not a host name (letters, digits, hyphens and dots; IDN must be punycoded).`);
  }
  if (v.startsWith('*.') && opts.wildcard === false) throw invalidConfig(field, `${JSON.stringify(value)}: a wildcard is not allowed here.`);
  return v;
}

// No whitespace, quotes, `;`, `{}`, `$` (nginx variables), `#` (comments), `\`, `:` (open_basedir separator).
const PATH = /^(?:\/[A-Za-z0-9._@+~-]+)+\/?$/;

/** An absolute file system path made only of safe characters and without `.`/`..` segments. */
export function absolutePath(field: string, value: unknown): string {
  if (typeof value !== 'string' || !PATH.test(value)) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not an absolute path of letters, digits and ._@+~- (no spaces, quotes, ; { } $ #).`);
  }
  if (value.split('/').some((s) => s === '.' || s === '..')) throw invalidConfig(field, `${JSON.stringify(value)} must not contain . or .. segments.`);
  return value;
}

/** An integer within [min, max]. */
export function integer(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not an integer from ${min} to ${max}.`);
  }
  return value;
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A file-name-safe slug: lower-case letters, digits and inner hyphens, at most 63 characters. */
export function slug(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SLUG.test(value)) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not a slug (a-z, 0-9 and inner hyphens, at most 63 characters).`);
  }
  return value;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An opaque identifier (e.g. `env_01j9…`): letters, digits, `_` and `-`. */
export function identifier(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not an identifier (letters, digits, _ and -, at most 64).`);
  }
  return value;
}

const UNIX_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** A Unix user or group name. */
export function unixName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !UNIX_NAME.test(value)) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not a Unix user or group name.`);
  }
  return value;
}

// Characters of a URL that are inert inside a double-quoted nginx string: no `$`, quotes, `\`, `;`, braces, spaces.
const URL_SAFE = /^[A-Za-z0-9._~:/?#@!&()*+,=%[\]-]+$/;

/** An absolute http(s) URL (normalised by the WHATWG parser) or a path starting with `/`. */
export function redirectTarget(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) throw invalidConfig(field, 'a URL or a path is required.');
  let out: string;
  if (value.startsWith('/') && !value.startsWith('//')) {
    out = value;
  } else {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalidConfig(field, `${JSON.stringify(value)} is not an absolute URL or a path.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidConfig(field, 'only http and https URLs are allowed.');
    if (url.username || url.password) throw invalidConfig(field, 'a redirect URL must not carry credentials.');
    hostname(field, url.hostname.replace(/^\[.*\]$/, 'ipv6.invalid'));
    out = url.href;
  }
  if (!URL_SAFE.test(out)) throw invalidConfig(field, `${JSON.stringify(value)} contains characters that are not allowed (percent-encode them).`);
  return out;
}

// RFC 3986 path characters without `;` `$` `'` `#` `?` and `%`: nginx matches `location =` against the
// decoded path, so a percent-encoded source would never match.
const URI_PATH = /^\/[A-Za-z0-9._~!&()*+,=:@/-]*$/;

/** The exact path of a request (`/old/page`), as a `location =` matches it. */
export function requestPath(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 1024 || !URI_PATH.test(value)) {
    throw invalidConfig(field, `${JSON.stringify(value)} is not a request path (it starts with / and has no spaces, quotes, %, ; $ ? or #).`);
  }
  return value;
}

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^\[[0-9a-fA-F:.]{2,45}\]$/;

/** A backend address: `host:port`, `[ipv6]:port` or `unix:/path/to.sock`. */
export function upstreamAddress(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidConfig(field, 'an address is required.');
  if (value.startsWith('unix:')) return `unix:${absolutePath(field, value.slice(5))}`;
  const m = /^(.+):(\d{1,5})$/.exec(value);
  if (!m) throw invalidConfig(field, `${JSON.stringify(value)} is not host:port or unix:/path.`);
  const host = m[1] as string;
  integer(field, Number(m[2]), 1, 65535);
  if (!IPV4.test(host) && !IPV6.test(host)) hostname(field, host, { wildcard: false });
  return value.toLowerCase();
}

/** Rejects duplicates among already-validated values. */
export function unique(field: string, values: readonly string[]): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw invalidConfig(field, `${JSON.stringify(v)} appears twice.`);
    seen.add(v);
  }
}

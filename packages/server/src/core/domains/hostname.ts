import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';

/** A host name as DevFlow stores it, with its display form. */
export interface NormalizedHostname {
  /** Lower-case ASCII (IDN labels punycoded), no trailing dot; `*.` kept for wildcards. */
  ascii: string;
  /** The same name with punycode labels decoded, for display. */
  unicode: string;
  wildcard: boolean;
  /** The name without its `*.` (what DNS records and verification are about). */
  base: string;
}

/** Why a host name was refused; `reason` reads as the end of "The host name …". */
export class HostnameError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(input)} is not a valid host name: ${reason}`);
    this.name = 'HostnameError';
  }
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates a host name a user typed and returns its stored form: IDN is
 * converted with the WHATWG algorithm (node:url `domainToASCII`), labels must
 * be 1–63 letters, digits or inner hyphens, the whole name at most 253
 * characters with at least two labels and a non-numeric top-level label. IP
 * addresses are refused: a domain is a name. A leading `*.` makes a wildcard.
 */
export function normalizeHostname(input: string): NormalizedHostname {
  const raw = input.trim();
  if (!raw) throw new HostnameError(input, 'it is empty.');
  if (isIP(raw) || isIP(raw.replace(/^\[|\]$/g, ''))) throw new HostnameError(input, 'IP addresses cannot be domains; use a name that resolves to the server.');
  if (/[\s/:@?#\\]/.test(raw)) throw new HostnameError(input, 'give only the name, without a scheme, port, path or spaces.');
  let name = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  // WHATWG would read a numeric last label as an IPv4 address; say what is wrong instead.
  if (/(^|\.)\d+$/.test(name)) throw new HostnameError(input, 'the top-level label cannot be all digits.');
  const wildcard = name.startsWith('*.');
  if (wildcard) name = name.slice(2);
  if (name.includes('*')) throw new HostnameError(input, 'a wildcard is only allowed as the whole first label (*.example.com).');
  if (name.includes('_')) throw new HostnameError(input, 'underscores are not allowed in host names.');
  const ascii = domainToASCII(name);
  if (!ascii) throw new HostnameError(input, 'it is not a valid internationalized domain name.');
  const lower = ascii.toLowerCase();
  if (isIP(lower)) throw new HostnameError(input, 'IP addresses cannot be domains; use a name that resolves to the server.');
  const labels = lower.split('.');
  if (labels.length < 2) throw new HostnameError(input, 'it needs at least two labels (example.com), a single label is not a public name.');
  for (const label of labels) {
    if (label.length === 0) throw new HostnameError(input, 'it has an empty label (two dots in a row).');
    if (label.length > 63) throw new HostnameError(input, `the label ${JSON.stringify(label.slice(0, 20))}… is longer than 63 characters.`);
    if (!LABEL.test(label)) throw new HostnameError(input, `the label ${JSON.stringify(label)} may only hold letters, digits and inner hyphens.`);
  }
  if (/^\d+$/.test(labels[labels.length - 1] as string)) throw new HostnameError(input, 'the top-level label cannot be all digits.');
  const full = wildcard ? `*.${lower}` : lower;
  if (full.length > 253) throw new HostnameError(input, 'it is longer than 253 characters.');
  const unicodeBase = domainToUnicode(lower) || lower;
  return { ascii: full, unicode: wildcard ? `*.${unicodeBase}` : unicodeBase, wildcard, base: lower };
}

/** The www/apex twin of a name (`www.example.com` ↔ `example.com`), or null for a wildcard or a bare TLD+1 `www`. */
export function wwwTwin(hostname: string): string | null {
  if (hostname.startsWith('*.')) return null;
  if (hostname.startsWith('www.')) return hostname.split('.').length >= 3 ? hostname.slice(4) : null;
  return `www.${hostname}`;
}

/** The TXT record that proves control of a domain: `_devflow-challenge.<name without *.>`. */
export function verificationRecordName(hostname: string): string {
  return `_devflow-challenge.${hostname.replace(/^\*\./, '')}`;
}

/** The DNS-01 record of a name: `_acme-challenge.<name without *.>`. */
export function acmeChallengeRecordName(hostname: string): string {
  return `_acme-challenge.${hostname.replace(/^\*\./, '')}`;
}

/** Whether a certificate name (possibly `*.x`) covers a host name (possibly `*.x`), per RFC 6125 (one label). */
export function nameCovers(certName: string, hostname: string): boolean {
  const c = certName.toLowerCase().replace(/\.$/, '');
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (c === h) return true;
  if (!c.startsWith('*.') || h.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === c.slice(2);
}

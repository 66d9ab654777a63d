import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { nameCovers } from './hostname.js';

/** What DevFlow shows about a certificate (never its key). */
export interface CertificateInfo {
  subject: string;
  /** DNS names of the subjectAltName extension (the common name when there is none). */
  sans: string[];
  issuer: string;
  serialNumber: string;
  /** SHA-256 of the DER, as `AB:CD:…`. */
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  /** e.g. `ec P-256`, `rsa 2048`. */
  keyType: string;
}

/** A certificate refused, with a stable code naming the reason. */
export class CertificateCheckError extends Error {
  constructor(
    readonly code:
      | 'certificate.unparseable'
      | 'certificate.key_unparseable'
      | 'certificate.key_mismatch'
      | 'certificate.expired'
      | 'certificate.not_yet_valid'
      | 'certificate.chain_order'
      | 'certificate.name_mismatch'
      | 'certificate.not_a_leaf',
    message: string,
  ) {
    super(message);
    this.name = 'CertificateCheckError';
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in order. */
export function splitPemCertificates(pem: string): string[] {
  return [...pem.matchAll(PEM_CERT)].map((m) => `${m[0].replace(/\r\n/g, '\n')}\n`);
}

function parse(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new CertificateCheckError('certificate.unparseable', `The ${what} is not a PEM certificate: ${(err as Error).message}.`);
  }
}

/** DNS names of the certificate (subjectAltName, else the subject CN). */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    return san
      .split(/,\s*/)
      .filter((e) => e.startsWith('DNS:'))
      .map((e) => e.slice(4).toLowerCase());
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

function keyTypeOf(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return `ec ${d.namedCurve === 'prime256v1' ? 'P-256' : d.namedCurve === 'secp384r1' ? 'P-384' : (d.namedCurve ?? '')}`.trim();
  if (key.asymmetricKeyType === 'rsa') return `rsa ${d.modulusLength ?? ''}`.trim();
  return key.asymmetricKeyType ?? 'unknown';
}

const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');

/** Subject, names, issuer, validity and key type of a PEM certificate (its first one). */
export function inspectCertificate(pem: string): CertificateInfo {
  const first = splitPemCertificates(pem)[0];
  if (!first) throw new CertificateCheckError('certificate.unparseable', 'No "-----BEGIN CERTIFICATE-----" block was found.');
  const cert = parse(first, 'certificate');
  return {
    subject: oneLine(cert.subject),
    sans: certificateNames(cert),
    issuer: oneLine(cert.issuer),
    serialNumber: cert.serialNumber,
    fingerprintSha256: cert.fingerprint256,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    keyType: keyTypeOf(cert.publicKey),
  };
}

export interface CustomCertificateInput {
  certificatePem: string;
  privateKeyPem: string;
  chainPem?: string | undefined;
  /** Names it must cover (a domain's host name). */
  hostnames?: readonly string[];
  now: number;
}

/** A checked certificate: the leaf, its chain in order, and what to show. */
export interface CheckedCertificate {
  info: CertificateInfo;
  /** The leaf alone (PEM). */
  certificatePem: string;
  /** Intermediates, the leaf's issuer first (PEM), or null. */
  chainPem: string | null;
  /** The key re-encoded as PKCS#8 PEM. */
  privateKeyPem: string;
}

/**
 * Checks an uploaded certificate before it may be stored or served: it
 * parses, it is a leaf, its key matches, it is valid now, every chain
 * certificate issued (and signed) the one before it, and it covers the
 * given host names. Throws CertificateCheckError naming the first problem.
 */
export function checkCustomCertificate(input: CustomCertificateInput): CheckedCertificate {
  const leafAndMore = splitPemCertificates(input.certificatePem);
  if (leafAndMore.length === 0) throw new CertificateCheckError('certificate.unparseable', 'certificatePem holds no "-----BEGIN CERTIFICATE-----" block.');
  const chainBlocks = [...leafAndMore.slice(1), ...splitPemCertificates(input.chainPem ?? '')];
  if (input.chainPem && splitPemCertificates(input.chainPem).length === 0) {
    throw new CertificateCheckError('certificate.unparseable', 'chainPem holds no "-----BEGIN CERTIFICATE-----" block.');
  }
  const leaf = parse(leafAndMore[0] as string, 'certificate');
  const chain = chainBlocks.map((p, i) => parse(p, `chain certificate ${i + 1}`));

  if (leaf.ca) throw new CertificateCheckError('certificate.not_a_leaf', `The first certificate (${oneLine(leaf.subject)}) is a CA certificate; put the server certificate first.`);

  let key: KeyObject;
  try {
    key = createPrivateKey(input.privateKeyPem);
  } catch (err) {
    const msg = (err as Error).message;
    const hint = /passphrase|encrypted/i.test(msg) || input.privateKeyPem.includes('ENCRYPTED') ? ' It looks encrypted: upload it without a passphrase.' : '';
    throw new CertificateCheckError('certificate.key_unparseable', `The private key cannot be read.${hint}`);
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateCheckError('certificate.key_mismatch', 'The private key does not belong to the certificate (their public keys differ).');
  }

  const notBefore = new Date(leaf.validFrom).getTime();
  const notAfter = new Date(leaf.validTo).getTime();
  if (notAfter <= input.now) throw new CertificateCheckError('certificate.expired', `The certificate expired on ${new Date(notAfter).toISOString()}.`);
  if (notBefore > input.now) throw new CertificateCheckError('certificate.not_yet_valid', `The certificate is valid only from ${new Date(notBefore).toISOString()}.`);

  let child = leaf;
  for (const [i, parent] of chain.entries()) {
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw new CertificateCheckError(
        'certificate.chain_order',
        `Chain certificate ${i + 1} (${oneLine(parent.subject)}) did not issue ${i === 0 ? 'the certificate' : `chain certificate ${i}`} (issued by ${oneLine(child.issuer)}): give the intermediates in order, the leaf's issuer first.`,
      );
    }
    if (new Date(parent.validTo).getTime() <= input.now) {
      throw new CertificateCheckError('certificate.expired', `Chain certificate ${i + 1} (${oneLine(parent.subject)}) expired on ${new Date(parent.validTo).toISOString()}.`);
    }
    child = parent;
  }

  const names = certificateNames(leaf);
  for (const host of input.hostnames ?? []) {
    if (!names.some((n) => nameCovers(n, host))) {
      throw new CertificateCheckError('certificate.name_mismatch', `The certificate is for ${names.join(', ') || 'no DNS name'}, not ${host}.`);
    }
  }

  const info = inspectCertificate(leafAndMore[0] as string);
  return {
    info,
    certificatePem: leafAndMore[0] as string,
    chainPem: chainBlocks.length ? chainBlocks.join('') : null,
    privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

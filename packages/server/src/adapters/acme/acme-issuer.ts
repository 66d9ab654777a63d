/**
 * The port to an ACME certificate authority (RFC 8555): accounts and
 * certificate orders. One implementation (`acme-client-issuer.ts`, over the
 * acme-client library); nothing outside this folder imports acme-client.
 */

/** A challenge the CA asked for, with what must be published to answer it. */
export interface PendingChallenge {
  type: 'http-01' | 'dns-01';
  /** The name being validated, without `*.`. */
  identifier: string;
  wildcard: boolean;
  token: string;
  /**
   * http-01: the file content at `/.well-known/acme-challenge/<token>`;
   * dns-01: the TXT value at `_acme-challenge.<identifier>`.
   */
  value: string;
}

/** Publishes and withdraws challenge answers (a webroot file over SSH, a TXT record through a DnsProvider). */
export interface ChallengeResponder {
  /** Makes the answer visible to the CA; resolves once it is. */
  present(c: PendingChallenge, signal?: AbortSignal): Promise<void>;
  /** Removes the answer; never throws for an answer already gone. */
  cleanup(c: PendingChallenge): Promise<void>;
}

export interface IssueRequest {
  /** The organization's account key (PEM). */
  accountKeyPem: string;
  /** Known account URL, or null to look it up or create the account. */
  accountUrl: string | null;
  contactEmail?: string | null;
  /** Names of the certificate; the first is the subject's common name. */
  names: string[];
  challenge: 'http-01' | 'dns-01';
  responder: ChallengeResponder;
  signal?: AbortSignal;
  /** Progress lines (for the job log). */
  log?: (line: string) => void;
}

export interface IssuedCertificate {
  /** The leaf (PEM). */
  certificatePem: string;
  /** Intermediates, leaf's issuer first (PEM), or null. */
  chainPem: string | null;
  /** The certificate's new private key (PKCS#8 PEM). */
  privateKeyPem: string;
  /** The account URL (store it to skip the lookup next time). */
  accountUrl: string;
}

/** Orders certificates from one ACME directory. */
export interface AcmeIssuer {
  /** The directory URL this issuer talks to. */
  readonly directoryUrl: string;
  /** A new account key (PEM) for an organization. */
  createAccountKey(): string;
  /** Runs an order end to end: account, authorizations and challenges one by one, finalization, download. */
  issue(req: IssueRequest): Promise<IssuedCertificate>;
  /** Releases what the issuer holds (HTTP agents, interceptors). */
  close(): void;
}

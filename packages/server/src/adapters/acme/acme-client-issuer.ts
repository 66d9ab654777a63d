import { generateKeyPairSync } from 'node:crypto';
import https from 'node:https';
import type * as AcmeClient from 'acme-client';
import { commonJsExports } from '../../lib/commonjs.js';
import { AppError } from '../../lib/errors.js';
import type { AcmeIssuer, IssuedCertificate, IssueRequest, PendingChallenge } from './acme-issuer.js';

export interface AcmeClientIssuerOptions {
  directoryUrl: string;
  /**
   * Extra CA certificates (PEM) trusted for the directory's origin only, e.g.
   * Pebble's self-made certificate in tests. Other origins keep the system store.
   */
  ca?: string | undefined;
  /** Polling of pending challenges and orders (defaults suit Let's Encrypt; tests go faster). */
  pollMinMs?: number;
  pollMaxMs?: number;
  pollAttempts?: number;
}

/** An ACME failure with the CA's own words; `acme.*` codes. */
export class AcmeError extends AppError {
  constructor(code: string, message: string, opts: { cause?: unknown; meta?: Record<string, unknown> } = {}) {
    super('unprocessable', code, message, opts);
    this.name = 'AcmeError';
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function ecKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

type AcmeClientLib = typeof AcmeClient;

/**
 * The AcmeIssuer over the acme-client library. The library (with axios,
 * node-forge and @peculiar/x509) is loaded at the first order, not at boot:
 * it is the largest dependency of the control plane and most processes never
 * order a certificate (see bench/idle-rss.ts).
 */
export class AcmeClientIssuer implements AcmeIssuer {
  readonly directoryUrl: string;
  private readonly agent: https.Agent | undefined;
  private loading: Promise<AcmeClientLib> | undefined;
  private acme: AcmeClientLib | undefined;
  private interceptor: number | undefined;
  private closed = false;

  constructor(private readonly opts: AcmeClientIssuerOptions) {
    this.directoryUrl = opts.directoryUrl;
    if (opts.ca) this.agent = new https.Agent({ ca: opts.ca, keepAlive: false });
  }

  private load(): Promise<AcmeClientLib> {
    this.loading ??= import('acme-client').then((namespace) => {
      const acme = commonJsExports(namespace);
      this.acme = acme;
      const agent = this.agent;
      if (agent && !this.closed) {
        // acme-client shares one axios instance: scope the extra trust to this directory's origin.
        const origin = new URL(this.directoryUrl).origin;
        this.interceptor = acme.axios.interceptors.request.use((config) => {
          if (typeof config.url === 'string' && new URL(config.url).origin === origin) config.httpsAgent = agent;
          return config;
        });
      }
      return acme;
    });
    return this.loading;
  }

  createAccountKey(): string {
    return ecKeyPem();
  }

  close(): void {
    this.closed = true;
    if (this.interceptor !== undefined) this.acme?.axios.interceptors.request.eject(this.interceptor);
    this.agent?.destroy();
  }

  async issue(req: IssueRequest): Promise<IssuedCertificate> {
    const log = req.log ?? (() => undefined);
    const check = () => {
      if (req.signal?.aborted) throw new AcmeError('acme.cancelled', 'The certificate order was cancelled.', { cause: req.signal.reason });
    };
    const acme = await this.load();
    const client = new acme.Client({
      directoryUrl: this.directoryUrl,
      accountKey: req.accountKeyPem,
      ...(req.accountUrl ? { accountUrl: req.accountUrl } : {}),
      backoffAttempts: this.opts.pollAttempts ?? 10,
      backoffMin: this.opts.pollMinMs ?? 3000,
      backoffMax: this.opts.pollMaxMs ?? 30_000,
    });
    const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      check();
      try {
        return await fn();
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AcmeError('acme.failed', `${what} failed at ${this.directoryUrl}: ${(err as Error).message}`, { cause: err });
      }
    };

    if (!req.accountUrl) {
      await step('Creating the ACME account', () =>
        client.createAccount({ termsOfServiceAgreed: true, ...(req.contactEmail ? { contact: [`mailto:${req.contactEmail}`] } : {}) }),
      );
      log(`ACME account ${client.getAccountUrl()}`);
    }
    const identifiers = req.names.map((value) => ({ type: 'dns' as const, value }));
    const order = await step('Creating the order', () => client.createOrder({ identifiers }));
    log(`order for ${req.names.join(', ')}`);
    const authorizations = await step('Reading the authorizations', () => client.getAuthorizations(order));

    // One name at a time: a DNS provider never has to hold two challenge values for one name.
    for (const authz of authorizations) {
      if (authz.status === 'valid') {
        log(`${authz.identifier.value}: already authorized`);
        continue;
      }
      const challenge = authz.challenges.find((c) => c.type === req.challenge);
      if (!challenge) {
        const offered = authz.challenges.map((c) => c.type).join(', ');
        throw new AcmeError('acme.challenge_unavailable', `The CA offers ${offered} for ${authz.identifier.value}, not ${req.challenge}${authz.wildcard ? ' (wildcards need dns-01)' : ''}.`);
      }
      const value = await step('Computing the key authorization', () => client.getChallengeKeyAuthorization(challenge));
      const pending: PendingChallenge = {
        type: req.challenge,
        identifier: authz.identifier.value,
        wildcard: !!authz.wildcard,
        token: 'token' in challenge ? String(challenge.token) : '',
        value,
      };
      check();
      await req.responder.present(pending, req.signal);
      log(`${pending.identifier}: ${pending.type} answer published`);
      try {
        await step(`Starting the ${pending.type} validation of ${pending.identifier}`, () => client.completeChallenge(challenge));
        await step(`The ${pending.type} validation of ${pending.identifier}`, () => client.waitForValidStatus(challenge));
        log(`${pending.identifier}: valid`);
      } finally {
        await req.responder.cleanup(pending).catch(() => undefined);
      }
    }

    const keyPem = ecKeyPem();
    const [, csr] = await step('Creating the CSR', () => acme.crypto.createCsr({ commonName: req.names[0], altNames: req.names }, keyPem));
    const finalized = await step('Finalizing the order', () => client.finalizeOrder(order, csr));
    const pem = await step('Downloading the certificate', () => client.getCertificate(finalized));
    const certs = [...pem.matchAll(PEM_CERT)].map((m) => `${m[0]}\n`);
    if (!certs.length) throw new AcmeError('acme.failed', 'The CA answered without a certificate.');
    log(`certificate issued (${certs.length} certificate(s) in the chain)`);
    return {
      certificatePem: certs[0] as string,
      chainPem: certs.length > 1 ? certs.slice(1).join('') : null,
      privateKeyPem: keyPem,
      accountUrl: client.getAccountUrl(),
    };
  }
}

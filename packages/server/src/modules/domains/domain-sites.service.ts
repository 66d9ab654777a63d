import type { Selectable } from 'kysely';
import type { ProxyConfigurator } from '../../adapters/proxy/proxy-configurator.js';
import type { SshExecutor, SshTarget } from '../../adapters/ssh/ssh-executor.js';
import { certificatePaths, domainSitePaths, domainTlsDir, renderDomainSiteFiles, TLS_DIR, VERIFY_PATH_PREFIX } from '../../core/domains/domain-site.js';
import type { RedirectRule } from '../../core/nginx/site-spec.js';
import { DEFAULT_ACME_WEBROOT } from '../../core/nginx/site-spec.js';
import type { Db } from '../../db/database.js';
import type { DomainsTable } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { ServerService } from '../servers/index.js';
import type { EnvironmentAppResolver } from './environment-app.js';

export type DomainRow = Selectable<DomainsTable>;

export interface DomainSiteOptions {
  /** Directory whose .well-known/ holds ACME and ownership tokens (default /var/lib/devflow/acme). */
  acmeWebroot?: string;
  /** Public ports of the domain sites (default 80 and 443). */
  httpPort?: number;
  httpsPort?: number;
  /** Time limit of each remote command (default 60 s). */
  commandTimeoutMs?: number;
}

/** A server of an environment, ready to be acted on. */
export interface SiteServer {
  id: string;
  name: string;
  target: SshTarget;
}

const TOKEN = /^[A-Za-z0-9_-]{8,128}$/;
const SAFE_ID = /^[a-z0-9_]{1,64}$/;

function safe(kind: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new AppError('invalid', 'domain.unsafe_value', `Refusing an unexpected ${kind}: ${JSON.stringify(value).slice(0, 80)}.`);
  return value;
}

/** Deletes every certificate directory of a domain but the one in use. `$1` the domain's directory, `$2` the one to keep. */
const PRUNE_CERTIFICATES = 'cd "$1" 2>/dev/null || exit 0; for d in *; do [ "$d" = "$2" ] || [ ! -e "$d" ] || rm -rf -- "$d"; done';

/**
 * Puts a domain on its environment's servers: the ownership token, the
 * certificate files (a directory per certificate, key 0600 in a 0700 tree
 * owned by root), and the domain's nginx files through the
 * ProxyConfigurator, which checks them with `nginx -t` and restores the
 * previous files on failure, so a broken configuration never goes live.
 */
export class DomainSiteService {
  readonly webroot: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly servers: ServerService,
    private readonly ssh: SshExecutor,
    private readonly proxy: ProxyConfigurator,
    private readonly appOf: EnvironmentAppResolver,
    private readonly opts: DomainSiteOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.webroot = opts.acmeWebroot ?? DEFAULT_ACME_WEBROOT;
    this.timeoutMs = opts.commandTimeoutMs ?? 60_000;
  }

  /** The validated servers of an environment (a server without a pinned host key is refused). */
  async serversOf(environmentId: string): Promise<SiteServer[]> {
    const links = await this.db.kysely.selectFrom('environment_servers').select('server_id').where('environment_id', '=', environmentId).orderBy('server_id').execute();
    if (!links.length) throw new AppError('conflict', 'domain.no_servers', 'The environment has no servers: add one before serving a domain.');
    return Promise.all(
      links.map(async ({ server_id }) => {
        const row = await this.servers.get(server_id);
        if (!row.host_key_fingerprint) throw new AppError('conflict', 'server.not_validated', `Server ${row.name} has no pinned host key: validate it first.`);
        return { id: row.id, name: row.name, target: await this.servers.targetOf(row) };
      }),
    );
  }

  private exec(s: SiteServer, argv: string[], signal?: AbortSignal, stdin?: string, secrets: string[] = []) {
    return this.ssh.exec(s.target, argv, { timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}), ...(stdin !== undefined ? { stdin } : {}), secrets });
  }

  private async writeFile(s: SiteServer, path: string, mode: string, content: string, signal?: AbortSignal, secret = false): Promise<void> {
    await this.exec(s, ['install', '-m', mode, '-T', '/dev/stdin', path], signal, content, secret ? [content] : []);
  }

  /** Creates the token directories and writes the ownership token (idempotent). */
  private async prepare(s: SiteServer, token: string, signal?: AbortSignal): Promise<void> {
    await this.exec(s, ['install', '-d', '-m', '0755', this.webroot, `${this.webroot}/.well-known`, `${this.webroot}/.well-known/acme-challenge`, `${this.webroot}${VERIFY_PATH_PREFIX}`], signal);
    await this.writeFile(s, `${this.webroot}${VERIFY_PATH_PREFIX}${safe('token', token, TOKEN)}`, '0644', token, signal);
  }

  /**
   * Writes the domain's files on every server of its environment and
   * records the outcome on the domain (site status, error, time).
   */
  async apply(domainId: string, signal?: AbortSignal): Promise<void> {
    const d = await this.db.kysely.selectFrom('domains').selectAll().where('id', '=', domainId).executeTakeFirst();
    if (!d) return; // deleted meanwhile: nothing to serve
    try {
      const servers = await this.serversOf(d.environment_id);
      const cert = d.tls !== 'none' && d.certificate_id ? await this.db.kysely.selectFrom('certificates').selectAll().where('id', '=', d.certificate_id).executeTakeFirst() : undefined;
      for (const s of servers) {
        await this.prepare(s, d.verification_token, signal);
        let tls: { certificatePath: string; keyPath: string } | null = null;
        if (cert) {
          const p = certificatePaths(d.id, safe('certificate id', cert.id, SAFE_ID));
          await this.exec(s, ['install', '-d', '-m', '0700', TLS_DIR, domainTlsDir(d.id), p.dir], signal);
          await this.writeFile(s, p.key, '0600', this.box.decrypt(cert.private_key), signal, true);
          await this.writeFile(s, p.fullchain, '0644', `${cert.certificate_pem.trimEnd()}\n${cert.chain_pem ? `${cert.chain_pem.trimEnd()}\n` : ''}`, signal);
          tls = { certificatePath: p.fullchain, keyPath: p.key };
        }
        const files = renderDomainSiteFiles({
          domainId: d.id,
          hostname: d.hostname,
          app: await this.appOf(d.environment_id, s.id),
          tls,
          httpsRedirect: !!d.https_redirect,
          wwwRedirect: d.www_redirect,
          redirects: JSON.parse(d.redirects || '[]') as RedirectRule[],
          redirectTo: d.redirect_to,
          redirectStatus: d.redirect_status as 301 | 302 | 307 | 308,
          acmeWebroot: this.webroot,
          ...(this.opts.httpPort ? { httpPort: this.opts.httpPort } : {}),
          ...(this.opts.httpsPort ? { httpsPort: this.opts.httpsPort } : {}),
        });
        await this.proxy.apply(s.target, files, { reason: `domain ${d.hostname}`, timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) });
        // Only now that nginx serves the new certificate may the older ones go.
        await this.exec(s, ['sh', '-c', PRUNE_CERTIFICATES, 'devflow-prune', domainTlsDir(d.id), cert ? cert.id : '-'], signal);
      }
      await this.record(domainId, { site_status: 'applied', site_error: null, site_applied_at: new Date(this.clock()).toISOString() });
    } catch (err) {
      await this.record(domainId, { site_status: 'failed', site_error: (err as Error).message.slice(0, 2000) });
      throw err;
    }
  }

  private async record(domainId: string, values: Partial<Pick<DomainRow, 'site_status' | 'site_error' | 'site_applied_at'>>): Promise<void> {
    await this.db.kysely.updateTable('domains').set(values).where('id', '=', domainId).execute();
  }

  /** Takes a deleted domain off the servers: its nginx files (checked removal), certificates and token. */
  async remove(domain: { id: string; environmentId: string; token: string }, signal?: AbortSignal): Promise<void> {
    const servers = await this.serversOf(domain.environmentId).catch(() => [] as SiteServer[]);
    for (const s of servers) {
      await this.proxy.remove(s.target, domainSitePaths(domain.id), { reason: `removing domain ${domain.id}`, timeoutMs: this.timeoutMs, ...(signal ? { signal } : {}) });
      await this.exec(s, ['rm', '-rf', '--', domainTlsDir(domain.id), `${this.webroot}${VERIFY_PATH_PREFIX}${safe('token', domain.token, TOKEN)}`], signal);
    }
  }

  /** Writes an HTTP-01 answer on every server of the environment (any of them may get the CA's request). */
  async putChallenge(environmentId: string, token: string, content: string, signal?: AbortSignal): Promise<void> {
    for (const s of await this.serversOf(environmentId)) {
      await this.exec(s, ['install', '-d', '-m', '0755', this.webroot, `${this.webroot}/.well-known`, `${this.webroot}/.well-known/acme-challenge`], signal);
      await this.writeFile(s, `${this.webroot}/.well-known/acme-challenge/${safe('ACME token', token, TOKEN)}`, '0644', content, signal);
    }
  }

  /** Removes an HTTP-01 answer from every server. */
  async dropChallenge(environmentId: string, token: string): Promise<void> {
    for (const s of await this.serversOf(environmentId)) {
      await this.exec(s, ['rm', '-f', '--', `${this.webroot}/.well-known/acme-challenge/${safe('ACME token', token, TOKEN)}`]);
    }
  }

  /** Writes the ownership token on every server (before an HTTP verification). */
  async putVerifyToken(environmentId: string, token: string, signal?: AbortSignal): Promise<void> {
    for (const s of await this.serversOf(environmentId)) await this.prepare(s, token, signal);
  }
}

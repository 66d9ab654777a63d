import type { Selectable } from 'kysely';
import type { DnsProvider } from '../../adapters/dns/dns-provider.js';
import type { OutboundGuard } from '../../adapters/outbound/outbound-guard.js';
import { createDnsProvider } from '../../adapters/dns/dns-providers.js';
import type { Db } from '../../db/database.js';
import type { DnsProvidersTable } from '../../db/schema.js';
import { conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import type { AuditLog, RequestContext } from '../identity/index.js';

export type DnsProviderRow = Selectable<DnsProvidersTable>;

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

/** The public shape of a DNS provider: settings and the names of its secrets, never their values. */
export function presentDnsProvider(r: DnsProviderRow, credentialKeys: string[]) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    kind: r.kind,
    config: JSON.parse(r.config) as Record<string, string | number>,
    credentialKeys,
    createdAt: r.created_at,
  };
}

/** DNS providers of an organization (credentials sealed), and the DnsProvider adapter of each. */
export class DnsProviderService {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    private readonly outbound: OutboundGuard,
    private readonly clock: () => number = Date.now,
  ) {}

  private credentials(r: DnsProviderRow): Record<string, string> {
    return JSON.parse(this.box.decrypt(r.credentials)) as Record<string, string>;
  }

  async list(organizationId: string) {
    const rows = await this.db.kysely.selectFrom('dns_providers').selectAll().where('organization_id', '=', organizationId).orderBy('name').execute();
    return rows.map((r) => presentDnsProvider(r, Object.keys(this.credentials(r)).sort()));
  }

  async get(organizationId: string, id: string): Promise<DnsProviderRow> {
    const row = await this.db.kysely.selectFrom('dns_providers').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw notFound('dns_provider', id);
    return row;
  }

  /** Stores a provider after checking its settings build a working adapter (nothing is contacted). */
  async create(ctx: RequestContext, organizationId: string, input: { name: string; kind: DnsProviderRow['kind']; config: Record<string, string | number>; credentials: Record<string, string> }) {
    createDnsProvider(input.kind, { config: input.config, credentials: input.credentials, outbound: this.outbound });
    const row: DnsProviderRow = {
      id: newId('dns'),
      organization_id: organizationId,
      name: input.name,
      kind: input.kind,
      config: JSON.stringify(input.config),
      credentials: this.box.encrypt(JSON.stringify(input.credentials)),
      created_at: new Date(this.clock()).toISOString(),
    };
    try {
      await this.db.kysely.insertInto('dns_providers').values(row).execute();
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) throw conflict('dns_provider.name_taken', `This organization already has a DNS provider named "${input.name}".`);
      throw err;
    }
    await this.audit.record(ctx, { action: 'dns_provider.create', organizationId, targetType: 'dns_provider', targetId: row.id, diff: { name: row.name, kind: row.kind, config: input.config, credentialKeys: Object.keys(input.credentials) } });
    return presentDnsProvider(row, Object.keys(input.credentials).sort());
  }

  async delete(ctx: RequestContext, organizationId: string, id: string): Promise<void> {
    const row = await this.get(organizationId, id);
    const used = await this.db.kysely.selectFrom('domains').select('hostname').where('dns_provider_id', '=', id).executeTakeFirst();
    if (used) throw conflict('dns_provider.in_use', `Domain ${used.hostname} answers DNS-01 challenges with this provider; change or delete it first.`);
    await this.db.kysely.deleteFrom('dns_providers').where('id', '=', id).execute();
    await this.audit.record(ctx, { action: 'dns_provider.delete', organizationId, targetType: 'dns_provider', targetId: id, diff: { name: row.name, kind: row.kind } });
  }

  /** The adapter of a stored provider, with its credentials opened. */
  async open(id: string): Promise<DnsProvider> {
    const row = await this.db.kysely.selectFrom('dns_providers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('dns_provider', id);
    return createDnsProvider(row.kind, { config: JSON.parse(row.config) as Record<string, string | number>, credentials: this.credentials(row), outbound: this.outbound }, this.clock);
  }
}

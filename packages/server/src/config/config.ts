import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { dnsServersSchema } from './dns-servers.js';
import { parseAllowList } from '../core/outbound/address-policy.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Names proxy-addr (Fastify's trustProxy) understands for well-known ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [ip, bits, extra] = entry.split('/');
  if (extra !== undefined || !ip) return false;
  const family = isIP(ip);
  if (!family) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
}

/**
 * DEVFLOW_TRUST_PROXY: the addresses (or CIDRs) of the reverse proxies whose X-Forwarded-For is
 * believed. A bare `true` trusted any client's header, so rate limits and audit addresses could be forged.
 */
function trustProxySchema() {
  return z
    .string()
    .default('false')
    .superRefine((v, ctx) => {
      if (v === 'false') return;
      if (v === 'true') {
        ctx.addIssue({ code: 'custom', message: 'list the proxy addresses or CIDRs instead of true (e.g. 127.0.0.1,10.0.0.0/8): true would believe X-Forwarded-For from anyone' });
        return;
      }
      const bad = v.split(',').map((s) => s.trim()).filter((s) => !isProxyAddress(s));
      if (bad.length) ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR: ${bad.map((b) => JSON.stringify(b)).join(', ')}` });
    })
    .transform((v) => (v === 'false' ? [] : v.split(',').map((s) => s.trim())));
}

/** The environment variables DevFlow reads, parsed once at start. */
export const configSchema = z.object({
  DEVFLOW_HOST: z.string().min(1).default('127.0.0.1'),
  DEVFLOW_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DEVFLOW_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres|postgresql):\/\/|^sqlite:/, 'must start with postgres:// or sqlite:')
    .optional(),
  DEVFLOW_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$|^[0-9a-fA-F]{64}$/, 'must be 32 bytes as base64 (44 chars) or hex (64 chars)')
    .optional(),
  DEVFLOW_PUBLIC_URL: z.url().optional(),
  DEVFLOW_ACME_DIRECTORY_URL: z.url().default('https://acme-v02.api.letsencrypt.org/directory'),
  DEVFLOW_LOG_LEVEL: z.enum(logLevels).default('info'),
  DEVFLOW_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  DEVFLOW_JOB_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  DEVFLOW_CORS_ORIGINS: z.string().optional(),
  DEVFLOW_TRUST_PROXY: trustProxySchema(),
  DEVFLOW_TOKEN_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  DEVFLOW_DNS_SERVERS: dnsServersSchema.optional(),
  DEVFLOW_OUTBOUND_ALLOW: z
    .string()
    .default('')
    .superRefine((v, ctx) => {
      try {
        parseAllowList(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (expected comma-separated CIDRs such as 10.0.0.0/8,fd00::/8)` });
      }
    }),
});

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly secretKey: string | undefined;
  readonly publicUrl: string;
  readonly acmeDirectoryUrl: string;
  readonly logLevel: (typeof logLevels)[number];
  readonly workerConcurrency: number;
  readonly jobLeaseMs: number;
  readonly corsOrigins: readonly string[];
  /** Reverse proxies (IPs, CIDRs) whose X-Forwarded-* headers are believed; empty: none. */
  readonly trustProxy: readonly string[];
  /** Requests per API token per minute. */
  readonly tokenRateLimit: number;
  /** Resolvers (`ip` or `ip:port`) for domain checks; empty: the system's. */
  readonly dnsServers: readonly string[];
  /** CIDRs outgoing requests may reach although private or loopback (DEVFLOW_OUTBOUND_ALLOW). */
  readonly outboundAllow: readonly string[];
}

/** Thrown when the environment holds bad values; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parses the environment into a frozen Config, or throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const parsed = configSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DEVFLOW_DATA_DIR);
  const url = e.DATABASE_URL;
  const database: DatabaseConfig =
    url && !url.startsWith('sqlite:')
      ? { kind: 'postgres', url }
      : { kind: 'sqlite', file: url ? path.resolve(url.slice('sqlite:'.length)) : path.join(dataDir, 'devflow.sqlite') };
  return Object.freeze({
    host: e.DEVFLOW_HOST,
    port: e.DEVFLOW_PORT,
    dataDir,
    database,
    secretKey: e.DEVFLOW_SECRET_KEY,
    publicUrl: e.DEVFLOW_PUBLIC_URL ?? `http://${e.DEVFLOW_HOST}:${e.DEVFLOW_PORT}`,
    acmeDirectoryUrl: e.DEVFLOW_ACME_DIRECTORY_URL,
    logLevel: e.DEVFLOW_LOG_LEVEL,
    workerConcurrency: e.DEVFLOW_WORKER_CONCURRENCY,
    jobLeaseMs: e.DEVFLOW_JOB_LEASE_MS,
    corsOrigins: Object.freeze((e.DEVFLOW_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    trustProxy: Object.freeze(e.DEVFLOW_TRUST_PROXY),
    tokenRateLimit: e.DEVFLOW_TOKEN_RATE_LIMIT,
    dnsServers: Object.freeze(e.DEVFLOW_DNS_SERVERS ?? []),
    outboundAllow: Object.freeze(e.DEVFLOW_OUTBOUND_ALLOW.split(',').map((s) => s.trim()).filter(Boolean)),
  });
}

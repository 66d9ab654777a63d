import { z } from 'zod';
import { isoTime, pageOf, plainText } from './common.js';
import { provisionStepNames } from './values.js';

/** A SHA-256 key fingerprint as `ssh-keygen -lf` prints it. */
const fingerprint = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'SHA256:<43 base64 characters>');

// ---------------------------------------------------------------- SSH keys

export const sshKeySchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string(),
    type: z.string().describe('ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256…'),
    publicKey: z.string().describe('OpenSSH public key line, for authorized_keys'),
    fingerprint: z.string().describe('SHA256:… as ssh-keygen -lf prints it'),
    createdAt: isoTime,
  })
  .meta({ id: 'SshKey' });
export type SshKey = z.infer<typeof sshKeySchema>;

export const sshKeyCreateBody = z.object({
  organizationId: z.string().min(1).max(64),
  name: plainText(100),
  privateKey: z
    .string()
    .min(1)
    .max(20_000)
    .optional()
    .describe('OpenSSH or PEM private key to import; omit to generate an ed25519 key'),
  passphrase: z.string().max(1024).optional().describe('Decrypts an imported key; never stored'),
});

export const sshKeyListQuery = z.object({
  organizationId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

// ---------------------------------------------------------------- servers

export const serverStatusSchema = z.enum(['new', 'online', 'unreachable']);

export const serverToolsSchema = z.object({
  docker: z.string().nullable(),
  nginx: z.string().nullable(),
  php: z.array(z.string()).describe('PHP CLI versions installed (8.2.7, …)'),
  phpFpm: z.array(z.string()).describe('PHP-FPM versions installed'),
  composer: z.string().nullable(),
  git: z.string().nullable(),
  restic: z.string().nullable(),
  curl: z.string().nullable(),
  rsync: z.string().nullable(),
});

export const serverFactsSchema = z
  .object({
    os: z
      .object({ id: z.string(), version: z.string(), codename: z.string().nullable(), name: z.string() })
      .nullable(),
    kernel: z.string().nullable(),
    arch: z.string().nullable(),
    cpus: z.number().int().nullable(),
    memoryBytes: z.number().nullable(),
    diskBytes: z.number().nullable(),
    serviceManager: z.enum(['systemd', 'service']).nullable(),
    tools: serverToolsSchema.nullable(),
    detectedAt: isoTime.nullable(),
  })
  .meta({ id: 'ServerFacts' });
export type ServerFacts = z.infer<typeof serverFactsSchema>;

export const serverSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    sshKeyId: z.string(),
    status: serverStatusSchema,
    hostKeyFingerprint: z.string().nullable().describe('Pinned on first contact (trust on first use)'),
    pendingHostKeyFingerprint: z
      .string()
      .nullable()
      .describe('A different host key the server presented; accept it with POST …/accept-host-key'),
    facts: serverFactsSchema,
    lastSeenAt: isoTime.nullable(),
    lastError: z.string().nullable(),
    metricsIntervalSeconds: z.number().int(),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Server' });
export type Server = z.infer<typeof serverSchema>;

const hostname = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/, 'a hostname, IPv4 or IPv6 address');
const unixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a Unix user name');

export const serverCreateBody = z.object({
  organizationId: z.string().min(1).max(64),
  name: plainText(100),
  host: hostname,
  port: z.number().int().min(1).max(65535).default(22),
  user: unixUser.default('root'),
  sshKeyId: z.string().min(1).max(64),
  metricsIntervalSeconds: z.number().int().min(10).max(3600).default(30),
});

export const serverUpdateBody = z.object({
  name: plainText(100).optional(),
  host: hostname.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: unixUser.optional(),
  sshKeyId: z.string().min(1).max(64).optional(),
  metricsIntervalSeconds: z.number().int().min(10).max(3600).optional(),
});

export const serverListQuery = z.object({
  organizationId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

export const acceptHostKeyBody = z.object({
  fingerprint: fingerprint.describe('The new fingerprint, as the host_key_mismatch problem named it'),
});

// ---------------------------------------------------------------- provisioning

export const provisionStepNameSchema = z.enum(provisionStepNames);

export const provisionBody = z.object({
  phpVersion: z
    .string()
    .regex(/^[5-9]\.[0-9]$/, 'major.minor, e.g. 8.2')
    .default('8.2'),
  steps: z
    .array(provisionStepNameSchema)
    .min(1)
    .optional()
    .describe('Run only these steps (default: all, in their fixed order)'),
});

export const provisionStepStatusSchema = z.enum(['pending', 'running', 'changed', 'unchanged', 'skipped', 'failed', 'cancelled']);

export const provisionRunSchema = z
  .object({
    id: z.string(),
    serverId: z.string(),
    jobId: z.string().nullable(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    phpVersion: z.string(),
    changed: z.boolean().describe('True when any step changed the server'),
    steps: z.array(
      z.object({
        name: z.string(),
        status: provisionStepStatusSchema,
        reason: z.string().nullable(),
        startedAt: isoTime.nullable(),
        finishedAt: isoTime.nullable(),
      }),
    ),
    error: z.string().nullable(),
    createdAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
  })
  .meta({ id: 'ProvisionRun' });

export const provisionAcceptedResponse = z
  .object({
    jobId: z.string(),
    run: provisionRunSchema,
  })
  .meta({ id: 'ProvisionAccepted' });

export const provisionRunParams = z.object({ id: z.string().min(1).max(64), runId: z.string().min(1).max(64) });

export const provisionLogQuery = z.object({
  after: z.coerce.number().int().min(0).default(0).describe('Return lines with seq greater than this'),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const provisionLogLineSchema = z.object({
  seq: z.number().int(),
  at: isoTime,
  step: z.string(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  line: z.string(),
});
export const provisionLogPageSchema = z
  .object({
    data: z.array(provisionLogLineSchema),
    nextAfter: z.number().int().describe('The `after` of the next call: the last line\'s seq'),
  })
  .meta({ id: 'ProvisionLogPage' });

// ---------------------------------------------------------------- metrics

export const metricsQuery = z.object({
  from: z.iso.datetime().optional().describe('Default: one hour before `to`'),
  to: z.iso.datetime().optional().describe('Default: now'),
  step: z.enum(['raw', '1m', '1h']).optional().describe('Default: raw up to 2 h, 1m up to 3 days, else 1h'),
});

export const metricPointSchema = z.object({
  at: isoTime,
  samples: z.number().int().describe('Raw samples behind this point (1 for raw)'),
  cpuPercent: z.number().nullable(),
  cpuPercentMax: z.number().nullable(),
  load1: z.number().nullable(),
  memUsedBytes: z.number().nullable(),
  memTotalBytes: z.number().nullable(),
  diskUsedBytes: z.number().nullable(),
  diskTotalBytes: z.number().nullable(),
  netRxBytesPerSecond: z.number().nullable(),
  netTxBytesPerSecond: z.number().nullable(),
});

export const metricsResponse = z
  .object({
    serverId: z.string(),
    step: z.enum(['raw', '1m', '1h']),
    from: isoTime,
    to: isoTime,
    points: z.array(metricPointSchema),
  })
  .meta({ id: 'ServerMetrics' });

// ---------------------------------------------------------------- named responses and client types
export const sshKeyPageSchema = pageOf(sshKeySchema, 'SshKeyPage');
export const serverPageSchema = pageOf(serverSchema, 'ServerPage');
export const serverDetailSchema = serverSchema
  .extend({ latestProvisionRun: provisionRunSchema.nullable() })
  .meta({ id: 'ServerDetail' });
export const provisionRunPageSchema = pageOf(provisionRunSchema, 'ProvisionRunPage');

/** POST /ssh-keys: omit `privateKey` to generate an ed25519 key. */
export type SshKeyInput = z.input<typeof sshKeyCreateBody>;
export type ServerStatus = z.infer<typeof serverStatusSchema>;
/** GET /servers/{id}: the server and its newest provisioning run. */
export type ServerDetail = z.infer<typeof serverDetailSchema>;
export type ServerInput = z.input<typeof serverCreateBody>;
export type ServerPatch = z.input<typeof serverUpdateBody>;
export type ProvisionInput = z.input<typeof provisionBody>;
export type ProvisionStepName = z.infer<typeof provisionStepNameSchema>;
export type ProvisionStepStatus = z.infer<typeof provisionStepStatusSchema>;
export type ProvisionRun = z.infer<typeof provisionRunSchema>;
export type ProvisionAccepted = z.infer<typeof provisionAcceptedResponse>;
export type ProvisionLogLine = z.infer<typeof provisionLogLineSchema>;
export type ProvisionLogPage = z.infer<typeof provisionLogPageSchema>;
export type MetricsQuery = z.input<typeof metricsQuery>;
export type MetricsSeries = z.infer<typeof metricsResponse>;
export type MetricPoint = z.infer<typeof metricPointSchema>;

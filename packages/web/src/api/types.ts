/**
 * The API's shapes as the UI uses them, inferred from the zod schemas of
 * @devflow/contracts (type-only imports: no zod code reaches the bundle).
 * Request bodies use the schemas' input types, responses their output types.
 */
import type {
  abilitySchema,
  auditEventSchema,
  auditQuery,
  changePasswordBody,
  changePasswordResponse,
  invitationAcceptBody,
  invitationSchema,
  loginBody,
  meResponse,
  memberSchema,
  membershipSummarySchema,
  metricPointSchema,
  metricsQuery,
  metricsResponse,
  problemSchema,
  provisionAcceptedResponse,
  provisionBody,
  provisionLogLineSchema,
  provisionRunSchema,
  provisionStepNameSchema,
  provisionStepStatusSchema,
  roleSchema,
  serverCreateBody,
  serverFactsSchema,
  serverSchema,
  serverStatusSchema,
  serverUpdateBody,
  sessionResponse,
  setupBody,
  sshKeyCreateBody,
  sshKeySchema,
  tokenCreateBody,
  tokenCreatedResponse,
  tokenSchema,
  totpBeginResponse,
  totpConfirmResponse,
  userSchema,
  deploymentCreateBody,
  deploymentSchema,
  deploymentStatusSchema,
  deploymentStepSchema,
  detectBody,
  detectResponse,
  environmentCreateBody,
  environmentSchema,
  environmentUpdateBody,
  frameworkSchema,
  logLineSchema,
  projectCreateBody,
  projectCreatedResponse,
  projectSchema,
  releaseSchema,
  variablesResponse,
  webhookInfoResponse,
  certificateOrderResponse,
  certificateSchema,
  certificateUploadBody,
  domainCreateBody,
  domainSchema,
  tlsModeSchema,
} from '@devflow/contracts';
import type { z } from 'zod';

export type Role = z.infer<typeof roleSchema>;
export const ROLES: readonly Role[] = ['owner', 'admin', 'developer', 'viewer'];

export type Ability = z.infer<typeof abilitySchema>;
export const ABILITIES: readonly Ability[] = ['read', 'write', 'deploy', 'secrets:read', 'admin', 'metrics:read'];

/** RFC 9457 problem document, as every error response is shaped. */
export type ProblemBody = z.infer<typeof problemSchema>;
/** A field error inside a problem document; `field` is a dotted path such as `body.email`. */
export type FieldError = NonNullable<ProblemBody['errors']>[number];

/** `{ data, nextCursor }` of every list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export type User = z.infer<typeof userSchema>;
export type Membership = z.infer<typeof membershipSummarySchema>;
/** GET /api/v1/me */
export type Me = z.infer<typeof meResponse>;
/** POST /auth/login and /auth/setup */
export type SessionStart = z.infer<typeof sessionResponse>;

export type SetupInput = z.input<typeof setupBody>;
export type LoginInput = z.input<typeof loginBody>;
export type ChangePasswordInput = z.input<typeof changePasswordBody>;
export type PasswordChanged = z.infer<typeof changePasswordResponse>;
export type TotpEnrolment = z.infer<typeof totpBeginResponse>;
export type RecoveryCodes = z.infer<typeof totpConfirmResponse>;

export type ApiToken = z.infer<typeof tokenSchema>;
export type NewTokenInput = z.input<typeof tokenCreateBody>;
/** POST /tokens: the secret `token` is only ever in this answer. */
export type CreatedToken = z.infer<typeof tokenCreatedResponse>;

export type Member = z.infer<typeof memberSchema>;
export type Invitation = z.infer<typeof invitationSchema>;
export type InvitationAcceptInput = z.input<typeof invitationAcceptBody>;
export interface InvitationAccepted {
  organizationId: string;
  userId: string;
  createdAccount: boolean;
}

export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditFilter = Omit<z.input<typeof auditQuery>, 'limit' | 'cursor'>;

export type SshKey = z.infer<typeof sshKeySchema>;
/** POST /ssh-keys: omit `privateKey` to generate an ed25519 key. */
export type SshKeyInput = z.input<typeof sshKeyCreateBody>;

export type ServerStatus = z.infer<typeof serverStatusSchema>;
export type ServerFacts = z.infer<typeof serverFactsSchema>;
export type Server = z.infer<typeof serverSchema>;
export type ProvisionRun = z.infer<typeof provisionRunSchema>;
/** GET /servers/{id}: the server and its newest provisioning run. */
export type ServerDetail = Server & { latestProvisionRun: ProvisionRun | null };
export type ServerInput = z.input<typeof serverCreateBody>;
export type ServerPatch = z.input<typeof serverUpdateBody>;

export type ProvisionInput = z.input<typeof provisionBody>;
export type ProvisionStepName = z.infer<typeof provisionStepNameSchema>;
export type ProvisionStepStatus = z.infer<typeof provisionStepStatusSchema>;
export type ProvisionAccepted = z.infer<typeof provisionAcceptedResponse>;
export type ProvisionLogLine = z.infer<typeof provisionLogLineSchema>;
export interface ProvisionLogPage {
  data: ProvisionLogLine[];
  /** The `after` of the next call: the last line's seq. */
  nextAfter: number;
}
/** Every provisioning step, in the order a run executes them (the contract's `provisionStepNames`). */
export const PROVISION_STEPS: readonly ProvisionStepName[] = [
  'layout',
  'base-packages',
  'nginx',
  'php-fpm',
  'composer',
  'docker',
  'restic',
  'ufw',
  'fail2ban',
  'unattended-upgrades',
];

export type MetricsQuery = z.input<typeof metricsQuery>;
export type MetricsSeries = z.infer<typeof metricsResponse>;
export type MetricPoint = z.infer<typeof metricPointSchema>;

// ---------------------------------------------------------------- projects, environments, deployments


export type Framework = z.infer<typeof frameworkSchema>;
export const FRAMEWORKS: readonly Framework[] = ['laravel', 'symfony', 'shopware', 'wordpress', 'bedrock', 'php', 'static', 'dockerfile'];
export type DetectInput = z.input<typeof detectBody>;
export type Detection = z.infer<typeof detectResponse>;
export type Project = z.infer<typeof projectSchema>;
export type ProjectCreated = z.infer<typeof projectCreatedResponse>;
export type ProjectInput = z.input<typeof projectCreateBody>;
export type Environment = z.infer<typeof environmentSchema>;
export type EnvironmentInput = z.input<typeof environmentCreateBody>;
export type EnvironmentPatch = z.input<typeof environmentUpdateBody>;
export type Variables = z.infer<typeof variablesResponse>;
export type WebhookInfo = z.infer<typeof webhookInfoResponse>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;
export type DeploymentStep = z.infer<typeof deploymentStepSchema>;
export type DeploymentInput = z.input<typeof deploymentCreateBody>;
export type LogLine = z.infer<typeof logLineSchema>;
export type Release = z.infer<typeof releaseSchema>;

// ---------------------------------------------------------------- domains, certificates

export type TlsMode = z.infer<typeof tlsModeSchema>;
export type Domain = z.infer<typeof domainSchema>;
export type DomainInput = z.input<typeof domainCreateBody>;
/** POST /domains/{id}/certificate (202): the queued job and the domain. */
export type CertificateOrder = z.infer<typeof certificateOrderResponse>;
export type Certificate = z.infer<typeof certificateSchema>;
export type CertificateUploadInput = z.input<typeof certificateUploadBody>;

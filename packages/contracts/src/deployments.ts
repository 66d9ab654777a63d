import { z } from 'zod';
import { isoTime, isPlainText, pageOf, plainText } from './common.js';
import { frameworkNames } from './values.js';

// ---------------------------------------------------------------- shared rules

/** True when the text holds a control character (or DEL) or a space. */
function hasControlOrSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * True when `name` is a valid Git branch name (the rules of
 * `git check-ref-format --branch`), and does not start with `-`, so it can
 * never be read as an option.
 */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name.startsWith('-') || name === '@' || name === 'HEAD') return false;
  // control characters, space, broken Unicode (the shared text rule) and the characters Git forbids in refs
  if (!isPlainText(name) || hasControlOrSpace(name) || /[~^:?*[\\]/.test(name)) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  return name.split('/').every((c) => c.length > 0 && !c.startsWith('.') && !c.endsWith('.lock'));
}

/** A Git branch name (what a push names and an environment follows). */
export const branchName = z.string().refine(isValidBranchName, 'not a valid Git branch name');

/** A ref to deploy: a branch, a tag, or a commit SHA. */
export const gitRef = z.string().refine(isValidBranchName, 'not a valid Git ref (branch, tag or commit)');

/** Lower-case letters, digits and single dashes; used in paths and nginx file names on servers. */
export const slug = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 'lower-case letters, digits and dashes (1–40), not starting or ending with a dash')
  .refine((s) => !s.includes('--'), 'no double dash');

/** An environment name: like a slug, at most 20 characters (`production`, `staging`, `feature-x`). */
export const environmentName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$/, 'lower-case letters, digits and dashes (1–20), not starting or ending with a dash')
  .refine((s) => !s.includes('--'), 'no double dash');

/**
 * Where the code lives: `https://…`, `ssh://…`, `git@host:path`, `git://…`,
 * or (when the installation allows local repositories) an absolute path or `file://`.
 */
export const repositoryUrl = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .refine((u) => !u.startsWith('-') && !hasControlOrSpace(u) && !/\s/.test(u), 'not a repository URL');

export const frameworkSchema = z.enum(frameworkNames);
export type Framework = z.infer<typeof frameworkSchema>;

// ---------------------------------------------------------------- detection

export const detectBody = z.object({
  repositoryUrl,
  branch: branchName.default('main'),
  /** Read the repository with this project's deploy key. */
  projectId: z.string().max(64).optional(),
});

export const detectionSchema = z
  .object({
    framework: frameworkSchema,
    phpVersion: z.string().nullable().describe('Lowest PHP version composer.json allows, e.g. 8.2'),
    frameworkVersion: z.string().nullable().describe('Major version of the framework when composer.lock or composer.json tells'),
    multiTenancy: z.enum(['stancl', 'spatie']).nullable(),
    nodeBuild: z.object({ packageManager: z.enum(['npm', 'yarn', 'pnpm']), script: z.string() }).nullable(),
    webRoot: z.string().describe('Directory nginx serves, relative to the release ("" for the root)'),
    healthCheckPath: z.string(),
    hasDockerfile: z.boolean(),
    signals: z.array(z.string()).describe('What the decision was based on, in order'),
  })
  .meta({ id: 'Detection' });
export type Detection = z.infer<typeof detectionSchema>;

export const detectResponse = detectionSchema.extend({ commit: z.string().nullable() }).meta({ id: 'DetectResult' });

// ---------------------------------------------------------------- projects

export const projectSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    name: z.string(),
    slug: z.string(),
    repositoryUrl: z.string().describe('Never holds credentials: those of an https URL are stored encrypted apart from it'),
    repositoryCredentialsHint: z.string().nullable().describe('Set when the repository URL came with credentials: they are used only when git runs; the deploy key is preferred'),
    framework: frameworkSchema.nullable(),
    detection: detectionSchema.nullable(),
    deployKey: z.object({ publicKey: z.string(), fingerprint: z.string() }).describe('Add the public key to the repository as a read-only deploy key'),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Project' });
export type Project = z.infer<typeof projectSchema>;

export const projectCreatedResponse = projectSchema.extend({
  detectError: z.string().nullable().describe('Why detection could not read the repository yet (it runs again at the first deployment)'),
}).meta({ id: 'ProjectCreated' });

export const projectCreateBody = z.object({
  organizationId: z.string().min(1).max(64),
  name: plainText(100),
  slug: slug.optional().describe('Directory name on servers; derived from the name when omitted'),
  repositoryUrl,
  branch: branchName.default('main').describe('Branch read for detection'),
  framework: frameworkSchema.optional().describe('Skip detection and use this framework'),
});

export const projectUpdateBody = z.object({
  name: plainText(100).optional(),
  repositoryUrl: repositoryUrl.optional(),
  framework: frameworkSchema.nullable().optional(),
});

export const projectCloneBody = z.object({
  name: plainText(100),
  slug: slug.optional(),
});

export const projectListQuery = z.object({
  organizationId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});

// ---------------------------------------------------------------- environments

const shellHook = z.string().min(1).max(2000);
const relPath = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => /^[A-Za-z0-9._@+-][A-Za-z0-9._@+/-]*$/.test(p) && !p.split('/').includes('..') && !p.endsWith('/'), 'a relative path inside the release');

export const environmentSettingsSchema = z
  .object({
    webRoot: z.union([z.literal(''), relPath]).optional().describe('Directory nginx serves; default from the framework'),
    sharedDirs: z.array(relPath).max(50).optional().describe('Replaces the framework default'),
    sharedFiles: z.array(relPath).max(50).optional().describe('Replaces the framework default'),
    writableDirs: z.array(relPath).max(50).optional(),
    hooks: z
      .object({
        build: z.array(shellHook).max(20).optional(),
        preSwitch: z.array(shellHook).max(20).optional(),
        postSwitch: z.array(shellHook).max(20).optional(),
      })
      .optional()
      .describe('Commands of the deploy script, run with sh -c in the release directory'),
    phpFpmReload: z.boolean().optional().describe('Reload php-fpm after the switch (not needed: nginx passes $realpath_root)'),
    stepTimeoutSeconds: z.number().int().min(5).max(7200).optional(),
    healthCheckTimeoutSeconds: z.number().int().min(1).max(600).optional(),
  })
  .meta({ id: 'EnvironmentSettings' });
export type EnvironmentSettings = z.infer<typeof environmentSettingsSchema>;

/**
 * A directory PHP may open besides the environment's own: absolute, of the
 * characters the pool renderer accepts (so no `:` separator, newline or NUL
 * can split open_basedir or the pool file), without `.`/`..` segments.
 */
const basedirPath = z
  .string()
  .max(500)
  .regex(/^(?:\/[A-Za-z0-9._@+~-]+)+\/?$/, 'an absolute path of letters, digits and ._@+~- (no ":", spaces, quotes, newlines or NUL)')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'no . or .. segments');

/** How code reaches the servers; `release` (directories behind nginx) is the only one so far. */
export const strategySchema = z.enum(['release']);
export type Strategy = z.infer<typeof strategySchema>;
const healthPath = z.string().max(500).regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, 'a path starting with /');

export const environmentSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    projectId: z.string(),
    name: z.string(),
    branch: z.string(),
    serverIds: z.array(z.string()),
    strategy: strategySchema,
    requiresApproval: z.boolean(),
    healthCheckPath: z.string(),
    keepReleases: z.number().int(),
    maintenance: z.boolean(),
    currentReleaseId: z.string().nullable(),
    hostname: z.string().describe('Name nginx answers for this environment besides its domains'),
    previewPort: z.number().int().describe('Loopback port of the private listener that health-checks a release before it goes live'),
    openBasedir: z.boolean().describe("PHP is fenced by open_basedir to the environment's directory, /tmp/ and openBasedirExtra"),
    openBasedirExtra: z.array(z.string()).describe('More directories PHP may open, e.g. /usr/share/php'),
    settings: environmentSettingsSchema,
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof environmentSchema>;

export const environmentCreateBody = z.object({
  name: environmentName,
  branch: branchName.default('main'),
  serverIds: z.array(z.string().min(1).max(64)).max(20).default([]),
  requiresApproval: z.boolean().default(false),
  strategy: strategySchema.default('release'),
  healthCheckPath: healthPath.optional().describe('Default: /up for Laravel 11+, else /'),
  keepReleases: z.number().int().min(1).max(50).default(5),
  openBasedir: z.boolean().default(true).describe('false lets PHP open any file its Unix user can read'),
  openBasedirExtra: z.array(basedirPath).max(20).default([]).describe('Applied on the next deployment'),
  settings: environmentSettingsSchema.default({}),
});

export const environmentUpdateBody = z.object({
  branch: branchName.optional(),
  serverIds: z.array(z.string().min(1).max(64)).max(20).optional(),
  requiresApproval: z.boolean().optional(),
  healthCheckPath: healthPath.optional(),
  keepReleases: z.number().int().min(1).max(50).optional(),
  openBasedir: z.boolean().optional().describe('Applied on the next deployment'),
  openBasedirExtra: z.array(basedirPath).max(20).optional().describe('Replaces the list; applied on the next deployment'),
  settings: environmentSettingsSchema.optional(),
});

export const projectEnvironmentParams = z.object({ id: z.string().min(1).max(64) });

// ---------------------------------------------------------------- variables

const envKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'letters, digits and _, not starting with a digit');

export const variablesBody = z.object({
  variables: z
    .record(envKey, z.string().max(65_536).refine((v) => !v.includes('\0'), 'no NUL bytes'))
    .refine((v) => Object.keys(v).length <= 500, 'at most 500 variables'),
});

export const variablesResponse = z
  .object({
    variables: z.record(z.string(), z.string().nullable()).describe('null when the value is masked'),
    masked: z.boolean().describe('True when values are hidden: the caller lacks secrets:read'),
    version: z.number().int().describe('Increases with every change of the set'),
    updatedAt: isoTime.nullable(),
  })
  .meta({ id: 'Variables' });

// ---------------------------------------------------------------- deployments

export const deploymentStatusSchema = z.enum(['queued', 'awaiting_approval', 'running', 'succeeded', 'failed', 'cancelled']);
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;
export const stepStatusSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']);

export const deploymentStepSchema = z.object({
  name: z.string(),
  status: stepStatusSchema,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  exitCode: z.number().int().nullable(),
  timeoutSeconds: z.number().int(),
  detail: z.string().nullable(),
});

export const deploymentSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    projectId: z.string(),
    environmentId: z.string(),
    kind: z.enum(['deploy', 'rollback']),
    status: deploymentStatusSchema,
    ref: z.string().nullable(),
    commit: z.string().nullable(),
    commitAuthor: z.string().nullable(),
    commitMessage: z.string().nullable(),
    trigger: z.string().describe('manual, api, webhook:github, webhook:gitlab, webhook:bitbucket, webhook:generic, rollback'),
    priority: z.number().int(),
    steps: z.array(deploymentStepSchema),
    releaseId: z.string().nullable(),
    error: z.string().nullable(),
    createdBy: z.string().nullable(),
    approvedBy: z.string().nullable(),
    createdAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.infer<typeof deploymentSchema>;

export const deploymentCreateBody = z.object({
  ref: gitRef.optional().describe("Branch, tag or commit; default: the environment's branch"),
  priority: z.number().int().min(-100).max(100).default(0).describe('Higher runs first among queued deployments'),
});

export const deploymentListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const deploymentRejectBody = z.object({ reason: plainText(500, 0).optional() });

export const logLineSchema = z.object({
  seq: z.number().int(),
  at: isoTime,
  step: z.string(),
  stream: z.enum(['stdout', 'stderr', 'system']),
  line: z.string(),
});
export type LogLine = z.infer<typeof logLineSchema>;

export const logQuery = z.object({
  after: z.coerce.number().int().min(0).default(0).describe('Only lines with a larger seq'),
  limit: z.coerce.number().int().min(1).max(10_000).default(5000),
});

// ---------------------------------------------------------------- releases, rollback, maintenance

export const releaseSchema = z
  .object({
    id: z.string(),
    environmentId: z.string(),
    deploymentId: z.string().nullable(),
    commit: z.string(),
    author: z.string().nullable(),
    message: z.string().nullable(),
    path: z.string(),
    configHash: z.string().describe('Keyed hash (HMAC-SHA256) of the variables and settings the release was built with: equal when they were equal'),
    envVersion: z.number().int().nullable(),
    status: z.enum(['active', 'inactive', 'failed', 'pruned']),
    createdAt: isoTime,
    activatedAt: isoTime.nullable(),
  })
  .meta({ id: 'Release' });

export const rollbackBody = z.object({
  releaseId: z.string().max(64).optional().describe('Default: the release that was active before the current one'),
});

export const maintenanceBody = z.object({ enabled: z.boolean() });

export const webhookInfoResponse = z
  .object({
    secret: z.string().describe('Secret for GitHub/Bitbucket signatures and the GitLab token'),
    urls: z.object({ github: z.string(), gitlab: z.string(), bitbucket: z.string(), generic: z.string() }),
  })
  .meta({ id: 'WebhookInfo' });

export const webhookParams = z.object({
  provider: z.enum(['github', 'gitlab', 'bitbucket', 'generic']),
  environmentId: z.string().min(1).max(64),
});

export const webhookQuery = z.object({ token: z.string().max(200).optional().describe('The generic provider\'s secret, when it cannot sign') });
export const webhookResponse = z
  .object({
    outcome: z.enum(['deployed', 'ignored', 'pong', 'duplicate']),
    reason: z.string().nullable(),
    deploymentId: z.string().nullable(),
  })
  .meta({ id: 'WebhookOutcome' });

// ---------------------------------------------------------------- named responses and client types
export const projectPageSchema = pageOf(projectSchema, 'ProjectPage');
export const environmentPageSchema = pageOf(environmentSchema, 'EnvironmentPage');
export const deploymentPageSchema = pageOf(deploymentSchema, 'DeploymentPage');
export const releasePageSchema = pageOf(releaseSchema, 'ReleasePage');

export type DetectInput = z.input<typeof detectBody>;
/** POST /projects/detect: the detection and the commit it read. */
export type DetectResult = z.infer<typeof detectResponse>;
export type ProjectCreated = z.infer<typeof projectCreatedResponse>;
export type ProjectInput = z.input<typeof projectCreateBody>;
export type EnvironmentInput = z.input<typeof environmentCreateBody>;
export type EnvironmentPatch = z.input<typeof environmentUpdateBody>;
export type Variables = z.infer<typeof variablesResponse>;
export type WebhookInfo = z.infer<typeof webhookInfoResponse>;
export type WebhookOutcome = z.infer<typeof webhookResponse>;
export type DeploymentStep = z.infer<typeof deploymentStepSchema>;
export type DeploymentInput = z.input<typeof deploymentCreateBody>;
export type Release = z.infer<typeof releaseSchema>;

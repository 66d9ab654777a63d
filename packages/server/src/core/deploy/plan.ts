/**
 * Deploy plans: the persisted steps of a deployment with their time limits,
 * and what each step of the release strategy does for a framework and an
 * environment's settings. Pure: the strategy executes what this returns.
 */
import type { Detection, EnvironmentSettings, Framework } from '@devflow/contracts';
import { COMPOSER_INSTALL, NODE_BUILD } from './scripts.js';
import { templateFor, type PlannedCommand } from './templates.js';

export type DeploymentKind = 'deploy' | 'rollback';

/** A step as stored in deployment_steps. */
export interface StepSpec {
  name: string;
  timeoutMs: number;
}

const S = 1000;
const M = 60 * S;

/**
 * The steps of a deployment, in order. Deploy: lock → fetch → export →
 * shared → build → framework → proxy → healthcheck → switch → verify →
 * post-switch → cleanup. Rollback re-activates a kept release: no fetch, no build.
 */
export function stepsFor(kind: DeploymentKind, settings: EnvironmentSettings = {}): StepSpec[] {
  const custom = settings.stepTimeoutSeconds ? settings.stepTimeoutSeconds * S : undefined;
  const health = (settings.healthCheckTimeoutSeconds ?? 30) * S + 15 * S;
  if (kind === 'rollback') {
    return [
      { name: 'lock', timeoutMs: 2 * M },
      { name: 'env', timeoutMs: M },
      { name: 'healthcheck', timeoutMs: health },
      { name: 'switch', timeoutMs: M },
      { name: 'verify', timeoutMs: health },
      { name: 'cleanup', timeoutMs: 2 * M },
    ];
  }
  return [
    { name: 'lock', timeoutMs: 2 * M },
    { name: 'fetch', timeoutMs: 10 * M },
    { name: 'export', timeoutMs: 5 * M },
    { name: 'shared', timeoutMs: 2 * M },
    { name: 'build', timeoutMs: custom ?? 30 * M },
    { name: 'framework', timeoutMs: custom ?? 15 * M },
    { name: 'proxy', timeoutMs: M },
    { name: 'healthcheck', timeoutMs: health },
    { name: 'switch', timeoutMs: M },
    { name: 'verify', timeoutMs: health },
    { name: 'post-switch', timeoutMs: custom ?? 5 * M },
    { name: 'cleanup', timeoutMs: 2 * M },
  ];
}

/** Steps at or after the switch: a failure there switches every server back. */
export const AFTER_SWITCH = new Set(['switch', 'verify', 'post-switch']);

/** What the release strategy does for one framework and environment. */
export interface ReleasePlan {
  framework: Framework;
  webRoot: string;
  envFile: string | null;
  /** Specs for the LINK_SHARED script, in order: shared dirs, skeleton, files, links, writable dirs. */
  sharedSpecs: string[];
  build: PlannedCommand[];
  preSwitch: PlannedCommand[];
  postSwitch: PlannedCommand[];
  healthCheckPath: string;
  healthCheckAttempts: number;
}

// Hooks, composer (its scripts) and npm run code from the repository or from a developer: they run as the
// project's Unix user, never as the SSH user (often root), so a developer cannot become root on a server.
const hook = (phase: string, i: number, command: string): PlannedCommand => ({
  label: `${phase} hook ${i + 1}`,
  argv: ['sh', '-c', command],
  runAs: 'web',
});

const DEFAULT_WEB_ROOT: Record<Framework, string> = { laravel: 'public', symfony: 'public', shopware: 'public', wordpress: '', bedrock: 'web', php: '', static: '', dockerfile: '' };

/** The plan for a framework (detected or chosen), with the environment's overrides applied. */
export function releasePlan(
  framework: Framework,
  detection: Detection | null,
  env: { healthCheckPath: string; settings: EnvironmentSettings },
): ReleasePlan {
  const t = templateFor(framework);
  const s = env.settings;
  const sharedDirs = s.sharedDirs ?? t.sharedDirs;
  const sharedFiles = [...new Set([...(t.envFile ? [t.envFile] : []), ...(s.sharedFiles ?? t.sharedFiles)])];
  const writable = s.writableDirs ?? t.writableDirs;
  const sharedSpecs = [
    ...sharedDirs.map((d) => `d:${d}`),
    // After the dirs: a shared dir missing from shared/ is seeded from the release first.
    ...t.sharedSkeleton.filter((d) => sharedDirs.some((sd) => d === sd || d.startsWith(`${sd}/`))).map((d) => `e:${d}`),
    ...sharedFiles.map((f) => `f:${f}`),
    ...t.links.map((l) => `l:${l.link}=${l.target}`),
    ...writable.map((w) => `w:${w}`),
  ];
  const build: PlannedCommand[] = [];
  if (framework !== 'static' && framework !== 'dockerfile') {
    build.push({ label: 'composer install', argv: ['sh', '-c', COMPOSER_INSTALL, 'composer-install'], runAs: 'web', when: { exists: 'composer.json' } });
  }
  if (detection?.nodeBuild) {
    const nb = detection.nodeBuild;
    build.push({ label: `${nb.packageManager} run ${nb.script}`, argv: ['sh', '-c', NODE_BUILD, 'node-build', nb.packageManager, nb.script], runAs: 'web' });
  }
  build.push(...(s.hooks?.build ?? []).map((c, i) => hook('build', i, c)));
  const preSwitch = [...t.preSwitch(detection), ...(s.hooks?.preSwitch ?? []).map((c, i) => hook('pre-switch', i, c))];
  const postSwitch = [...t.postSwitch(detection), ...(s.hooks?.postSwitch ?? []).map((c, i) => hook('post-switch', i, c))];
  const detected = detection?.framework === framework ? detection.webRoot : undefined;
  const webRoot = s.webRoot ?? detected ?? DEFAULT_WEB_ROOT[framework];
  return {
    framework,
    webRoot,
    envFile: t.envFile,
    sharedSpecs,
    build,
    preSwitch,
    postSwitch,
    healthCheckPath: env.healthCheckPath,
    healthCheckAttempts: Math.max(1, Math.min(30, s.healthCheckTimeoutSeconds ?? 10)),
  };
}

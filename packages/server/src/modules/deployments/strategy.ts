/**
 * The port between the deployment runner and a way of shipping code. The
 * runner owns the state machine (status, steps, timings, logs, cancel,
 * recovery bookkeeping); a strategy does the work on the servers. `release`
 * (directories + symlink switch behind nginx) is the only implementation so
 * far; another way (docker, swarm) joins the contract's `strategySchema` and
 * implements the same interface.
 */
import type { Detection, EnvironmentSettings, Framework, Strategy } from '@devflow/contracts';
import type { SshTarget } from '../../adapters/ssh/ssh-executor.js';
import type { EnvironmentRow } from '../environments/index.js';
import type { ProjectRow } from '../projects/index.js';
import type { DeploymentLog } from './deployment-log.js';
import type { DeploymentRow, ReleaseRow } from './deployment-store.js';

/** A server a deployment acts on. */
export interface DeployServer {
  id: string;
  name: string;
  target: SshTarget;
}

/** What a step does with its outcome: its exit code and a one-line note for the UI. */
export interface StepHandle {
  readonly name: string;
  /** Aborted when the deployment is cancelled or the step's time limit passes. */
  readonly signal: AbortSignal;
  /** When the step's time limit passes (epoch ms). */
  readonly deadline: number;
  exitCode(code: number | null): void;
  note(text: string): void;
}

/** Runs persisted steps: marks them running, limits their time, records outcome, exit code and timings. */
export interface StepRunner {
  run<T>(name: string, fn: (step: StepHandle) => Promise<T>): Promise<T>;
  /** Marks a step skipped with a reason. */
  skip(name: string, reason: string): Promise<void>;
}

/** Facts a strategy reports as it learns them; the runner persists them. */
export interface DeployRecorder {
  previousRelease(id: string | null): Promise<void>;
  commit(c: { commit: string; author: string | null; message: string | null }): Promise<void>;
  /** A new release record (status inactive until activated). */
  release(r: ReleaseRow): Promise<void>;
  detection(d: Detection): Promise<void>;
  /** Called before the first server switches: from here on, recovery must check and switch back. */
  switching(): Promise<void>;
  /** `releaseId` serves the environment now (null: nothing does). */
  activated(releaseId: string | null): Promise<void>;
  releaseStatus(ids: string[], status: ReleaseRow['status']): Promise<void>;
  /** Release records of the environment (for retention). */
  releases(): Promise<ReleaseRow[]>;
  /** The variable set a release was built with (to restore the env file of the release that stays live). */
  variablesOf(releaseId: string): Promise<Record<string, string> | null>;
  /** Whether maintenance mode is on now (re-read: it may change during a deployment). */
  maintenance(): Promise<boolean>;
  /** Whether the holder of a server lock is finished or gone (its lock may be taken over). */
  lockHolderGone(holder: string): Promise<boolean>;
}

/** What a strategy needs to act on an environment's servers, in or out of a deployment. */
export interface EnvironmentContext {
  environment: EnvironmentRow;
  settings: EnvironmentSettings;
  project: ProjectRow;
  framework: Framework | null;
  detection: Detection | null;
  servers: DeployServer[];
  /** Names the environment answers publicly (its own first, then its domains). */
  hostnames: string[];
  /** Aborted on cancel, job timeout or worker shutdown. */
  signal: AbortSignal;
  /** Values masked in errors and output. */
  secrets: string[];
}

/** Everything a strategy gets for one deployment. */
export interface DeployContext extends EnvironmentContext {
  deployment: DeploymentRow;
  /** The variable set of this deployment (already added to the log's mask list). */
  variables: Record<string, string>;
  envVersion: number;
  configHash: string;
  deployKey: string | null;
  /** The git HTTP header with the repository's credentials (stored apart from its URL), or null. */
  repositoryAuth: string | null;
  log: DeploymentLog;
  steps: StepRunner;
  record: DeployRecorder;
}

/** Shipping code to servers, one implementation per way (the contract's `Strategy`). */
export interface DeployStrategy {
  readonly name: Strategy;
  /** Deploys the deployment's ref; resolves with the release that serves afterwards. */
  deploy(ctx: DeployContext): Promise<{ releaseId: string }>;
  /** Re-activates a kept release as it was (no rebuild). */
  rollback(ctx: DeployContext, target: ReleaseRow): Promise<{ releaseId: string }>;
  /**
   * Cleans up after a deployment the control plane stopped running (crash,
   * kill): switches back if it had switched, removes its unfinished release,
   * releases its locks. Safe to run more than once.
   */
  recover(ctx: Omit<DeployContext, 'steps'>): Promise<void>;
  /** Turns maintenance mode on or off on every server of the environment. */
  setMaintenance(ctx: EnvironmentContext, enabled: boolean): Promise<void>;
}

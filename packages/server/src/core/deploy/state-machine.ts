/**
 * The states of a deployment and the moves between them. Every change of a
 * deployment's status is a conditional UPDATE from the states listed here,
 * so two processes racing (a cancel and the worker) cannot both win.
 */
import type { DeploymentStatus } from '@devflow/contracts';

const moves: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  awaiting_approval: ['queued', 'cancelled'],
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** True when a deployment may move from `from` to `to`. */
export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return moves[from].includes(to);
}

/** The states from which `to` can be reached (the WHERE of the conditional update). */
export function sourcesOf(to: DeploymentStatus): DeploymentStatus[] {
  return (Object.keys(moves) as DeploymentStatus[]).filter((from) => moves[from].includes(to));
}

/** Succeeded, failed and cancelled deployments never change again. */
export function isTerminal(status: DeploymentStatus): boolean {
  return moves[status].length === 0;
}

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/**
 * The step a deployment stopped in: the one still running (a crash), else
 * the last one that failed or was cancelled, else the first not yet started.
 */
export function interruptedStep(steps: readonly { name: string; status: StepStatus }[]): string {
  return (
    steps.find((s) => s.status === 'running')?.name ??
    steps.filter((s) => s.status === 'failed' || s.status === 'cancelled').at(-1)?.name ??
    steps.find((s) => s.status === 'pending')?.name ??
    'finish'
  );
}

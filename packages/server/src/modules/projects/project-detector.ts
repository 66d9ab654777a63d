import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Detection } from '@devflow/contracts';
import { redactText, tail } from '../../adapters/ssh/ssh-errors.js';
import { detectFramework, relevantFiles } from '../../core/detect/detect.js';
import { AppError } from '../../lib/errors.js';
import { allowedProtocols } from './repository-url.js';

interface RunResult {
  stdout: string;
  stderr: string;
}

function git(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cwd?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { env, cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * Reads a repository from the control plane for detection: a shallow,
 * no-checkout clone of one branch into a temporary directory (removed
 * after), with the project's deploy key when there is one. Only the file
 * listing and composer.json/composer.lock/package.json are read.
 */
export class ProjectDetector {
  constructor(private readonly opts: { allowLocal: boolean; timeoutMs: number }) {}

  /** Detects the framework of `branch` of the repository; throws `project.repository_unreachable` with git's reason. */
  async detect(url: string, branch: string, privateKey: string | null): Promise<Detection & { commit: string | null }> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devflow-detect-'));
    try {
      const keyFile = path.join(dir, 'deploy_key');
      if (privateKey) await fs.writeFile(keyFile, privateKey, { mode: 0o600 });
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_ALLOW_PROTOCOL: allowedProtocols(this.opts.allowLocal),
        GIT_SSH_COMMAND: `ssh ${privateKey ? `-i ${keyFile} -o IdentitiesOnly=yes ` : ''}-o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${path.join(dir, 'known_hosts')} -o ConnectTimeout=10`,
      };
      const repo = path.join(dir, 'repo');
      const deadline = Date.now() + this.opts.timeoutMs;
      const left = () => Math.max(1000, deadline - Date.now());
      try {
        await git(['clone', '--quiet', '--depth', '1', '--single-branch', '--no-checkout', '--branch', branch, '--', url, repo], env, left());
      } catch (err) {
        const stderr = String((err as { stderr?: string }).stderr ?? '');
        const killed = (err as { killed?: boolean }).killed;
        const reason = killed ? `no answer within ${Math.round(this.opts.timeoutMs / 1000)} s` : tail(redactText(stderr.trim()), 500) || (err as Error).message;
        throw new AppError('unprocessable', 'project.repository_unreachable', `Cannot read branch ${branch} of ${redactText(url)}: ${reason}`, { cause: err });
      }
      const commit = (await git(['rev-parse', 'HEAD'], env, left(), repo)).stdout.trim() || null;
      const listing = (await git(['ls-tree', '-r', '-z', '--name-only', 'HEAD'], env, left(), repo)).stdout.split('\0').filter(Boolean);
      const show = async (file: string) => {
        if (!listing.includes(file)) return null;
        const res = await git(['cat-file', '-p', `HEAD:${file}`], env, left(), repo).catch(() => undefined);
        return res && res.stdout.length <= 4 * 1024 * 1024 ? res.stdout : null;
      };
      const detection = detectFramework({
        files: relevantFiles(listing),
        composerJson: await show('composer.json'),
        composerLock: await show('composer.lock'),
        packageJson: await show('package.json'),
      });
      return { ...detection, commit };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}

import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Detection } from '@devflow/contracts';
import { pinGitRemote } from '../../adapters/outbound/git-remote.js';
import type { OutboundGuard } from '../../adapters/outbound/outbound-guard.js';
import { redactText } from '../../adapters/ssh/ssh-errors.js';
import { detectFramework, relevantFiles } from '../../core/detect/detect.js';
import { AppError } from '../../lib/errors.js';
import { allowedProtocols, gitAuthEnv, withoutCredentials } from './repository-url.js';

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
  constructor(
    private readonly opts: { allowLocal: boolean; timeoutMs: number },
    private readonly outbound: OutboundGuard,
  ) {}

  /**
   * Detects the framework of `branch` of the repository. The remote is
   * reached only at an address the outbound guard allows, without following
   * redirects. Every failure throws `project.repository_unreachable` with one
   * message: which step failed (refused address, no answer, closed port, auth)
   * is kept in `cause` only, so the answer cannot be used to scan ports.
   */
  async detect(url: string, branch: string, privateKey: string | null, authHeader: string | null = null): Promise<Detection & { commit: string | null }> {
    const unreachable = (cause: unknown) =>
      new AppError(
        'unprocessable',
        'project.repository_unreachable',
        `Cannot read branch ${branch} of ${redactText(withoutCredentials(url))}: the repository does not exist, is not reachable from DevFlow (private and loopback addresses are refused unless DEVFLOW_OUTBOUND_ALLOW names them), or does not accept the deploy key.`,
        { cause },
      );
    const pinned = await pinGitRemote(this.outbound, url).catch((err: unknown) => {
      throw unreachable(err);
    });
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
        // Credentials of an https URL, stored apart from it, reach git only through its environment.
        ...gitAuthEnv(authHeader),
        GIT_SSH_COMMAND: `ssh -F /dev/null ${pinned.sshOptions.join(' ')} ${privateKey ? `-i ${keyFile} -o IdentitiesOnly=yes ` : ''}-o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=${path.join(dir, 'known_hosts')} -o ConnectTimeout=10`,
      };
      const repo = path.join(dir, 'repo');
      const deadline = Date.now() + this.opts.timeoutMs;
      const left = () => Math.max(1000, deadline - Date.now());
      try {
        await git([...pinned.gitArgs, 'clone', '--quiet', '--depth', '1', '--single-branch', '--no-checkout', '--branch', branch, '--', pinned.url, repo], env, left());
      } catch (err) {
        throw unreachable(err);
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

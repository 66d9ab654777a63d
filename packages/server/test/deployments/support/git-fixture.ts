/** Git repositories for deployment tests, built with the real git CLI on this machine and copied into lab servers. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FixtureFiles } from '../../fixtures/deploy-repos.js';
import type { LabServer } from '../../support/lab.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Ada Lovelace',
  GIT_AUTHOR_EMAIL: 'ada@example.test',
  GIT_COMMITTER_NAME: 'Ada Lovelace',
  GIT_COMMITTER_EMAIL: 'ada@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: os.tmpdir(),
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

const roots: string[] = [];
process.once('exit', () => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/**
 * A repository with a working tree and a bare copy at `url` (a local path).
 * `copyTo(lab)` puts the bare repository at the same path inside a lab
 * server, so one URL works for control-plane detection and server-side fetches.
 */
export class FixtureRepo {
  private constructor(
    readonly url: string,
    private readonly work: string,
  ) {}

  /**
   * A repository whose first commit on `main` holds `files`, after copies of
   * host directories (`dirs`: path in the repository → directory; '' is the
   * root), e.g. framework code a repository carries.
   */
  static create(name: string, files: FixtureFiles, message = 'First commit', dirs: Record<string, string> = {}): FixtureRepo {
    const root = mkdtempSync(path.join(os.tmpdir(), 'devflow-git-'));
    roots.push(root);
    const work = path.join(root, 'work');
    const bare = path.join(root, `${name}.git`);
    mkdirSync(work);
    git(work, 'init', '-q');
    const repo = new FixtureRepo(bare, work);
    for (const [dest, from] of Object.entries(dirs)) cpSync(from, path.join(work, dest), { recursive: true });
    repo.write(files);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', message);
    git(root, 'clone', '-q', '--bare', work, bare);
    git(work, 'remote', 'add', 'origin', bare);
    return repo;
  }

  private write(files: FixtureFiles): void {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(this.work, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
  }

  /** Commits changes (files to write, paths to delete) on `branch` and pushes; returns the commit id. */
  commit(files: FixtureFiles, message: string, opts: { branch?: string; remove?: string[] } = {}): string {
    const branch = opts.branch ?? 'main';
    const exists = spawnSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: this.work, env: GIT_ENV }).status === 0;
    git(this.work, 'checkout', '-q', ...(exists ? [] : ['-b']), branch);
    this.write(files);
    for (const r of opts.remove ?? []) if (existsSync(path.join(this.work, r))) git(this.work, 'rm', '-q', '-r', '--', r);
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '--allow-empty', '-m', message);
    git(this.work, 'push', '-q', '--force', 'origin', `${branch}:${branch}`);
    const sha = git(this.work, 'rev-parse', 'HEAD');
    git(this.work, 'checkout', '-q', 'main');
    return sha;
  }

  /** Deletes a branch in the bare repository. */
  deleteBranch(branch: string): void {
    git(this.work, 'push', '-q', 'origin', '--delete', branch);
  }

  /** The commit a branch points to. */
  head(branch = 'main'): string {
    return git(this.url, 'rev-parse', `refs/heads/${branch}`);
  }

  /** Copies the bare repository into the lab server at the same path (replacing an older copy). */
  async copyTo(lab: LabServer): Promise<void> {
    const parent = path.dirname(this.url);
    await lab.exec(['rm', '-rf', '--', this.url]);
    await lab.exec(['mkdir', '-p', '--', parent]);
    const docker = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
    const res = spawnSync(docker, ['cp', this.url, `${lab.name}:${parent}`], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`docker cp failed: ${res.stderr}`);
  }
}

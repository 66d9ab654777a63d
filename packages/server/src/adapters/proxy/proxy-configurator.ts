/**
 * The port features use to put web-server configuration on a managed server.
 * Like Kysely's `Dialect`, a small interface with one implementation per
 * folder (`nginx/`); callers render files with the pure functions of
 * core/nginx and core/php-fpm and never run nginx commands themselves.
 */
import type { SshTarget } from '../ssh/ssh-executor.js';

/** A file to put on a server, at its absolute path. */
export interface ConfigFile {
  path: string;
  content: string;
}

/** Options of one operation. */
export interface ProxyOptions {
  /** Aborting stops before the next remote step; files already swapped are restored first. */
  signal?: AbortSignal;
  /** Time limit of each remote command (default 30 s). */
  timeoutMs?: number;
  /** What the change is for (e.g. `deployment dep_123`), written into the server's lock so a waiter can name it. */
  reason?: string;
}

/** What an apply or a remove did. */
export interface ApplyResult {
  /** Paths written (or removed), in the order given. */
  changed: string[];
  /** Paths that already held that content (or were already absent): untouched. */
  unchanged: string[];
  /** Services reloaded, e.g. `php8.2-fpm`, `nginx` (empty when nothing changed). */
  reloaded: string[];
}

/** Services to reload without changing any file. */
export interface ReloadRequest {
  nginx?: boolean;
  /** PHP versions whose FPM to reload, e.g. `['8.2']`. */
  phpFpmVersions?: string[];
}

/** Applies web-server configuration on a server, checked before it goes live. */
export interface ProxyConfigurator {
  /**
   * Puts the files in place, checks the whole configuration (`nginx -t`,
   * `php-fpm -t`) and reloads what changed; when the check fails every previous
   * file is restored, nothing is reloaded, and `proxy.config_invalid` is thrown.
   * Files already holding the content are skipped, so after `proxy.reload_failed`
   * call `reload` rather than applying again.
   */
  apply(target: SshTarget, files: readonly ConfigFile[], opts?: ProxyOptions): Promise<ApplyResult>;
  /** Removes the files with the same check, restore and reload as `apply`. */
  remove(target: SshTarget, paths: readonly string[], opts?: ProxyOptions): Promise<ApplyResult>;
  /**
   * Reloads services with their current files. Every operation holds the
   * server's own lock, so applies from any number of processes never interleave.
   */
  reload(target: SshTarget, what: ReloadRequest, opts?: ProxyOptions): Promise<string[]>;
}

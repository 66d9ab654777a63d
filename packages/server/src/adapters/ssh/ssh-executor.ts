/**
 * The port every feature uses to act on a managed server. Like Kysely's
 * `Dialect`, it is a small interface with one implementation per folder
 * (`Ssh2Executor` over the ssh2 library); the core never imports ssh2.
 */

/** Where and as whom to connect, and which host key to trust. */
export interface SshTarget {
  /** Stable id of the server (the pool keeps one connection per id). */
  id: string;
  host: string;
  port: number;
  user: string;
  /** Unencrypted private key (OpenSSH or PEM), opened from the secret box just before use. */
  privateKey: string;
  /** Pinned `SHA256:…` host key fingerprint; null trusts the first key seen (and reports it). */
  hostKeyFingerprint: string | null;
}

/** Options of one remote command. */
export interface ExecOptions {
  /** Time limit of the command; when it passes the remote process group is killed. Default 60 s. */
  timeoutMs?: number;
  /** Aborting kills the remote process group and rejects with `ssh.cancelled`. */
  signal?: AbortSignal;
  /** Bytes written to the command's stdin, then EOF (how secrets travel: never in argv). */
  stdin?: string | Buffer;
  /** Environment variables, sent over stdin and exported by the remote wrapper (never in argv). */
  env?: Readonly<Record<string, string>>;
  /** Working directory on the server. */
  cwd?: string;
  /** Run through `sudo -n` (default: when the user is not root). */
  sudo?: boolean;
  /** Throw CommandFailedError on a non-zero exit (default true). */
  check?: boolean;
  /** Values masked in errors and in the streamed output (env values are always masked). */
  secrets?: readonly string[];
  /** Called with stdout text as it arrives. */
  onStdout?: (chunk: string) => void;
  /** Called with stderr text as it arrives. */
  onStderr?: (chunk: string) => void;
}

/** What a finished command produced. */
export interface ExecResult {
  /** Exit code, or null when the process died by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Options of a connection check. */
export interface ConnectOptions {
  /** Open a new connection even when the pool holds one (what `validate` wants). */
  fresh?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Options of a file transfer. */
export interface TransferOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** File mode of an uploaded file (default 0o644). */
  mode?: number;
  /** Largest download accepted (default 64 MiB). */
  maxBytes?: number;
}

/** Remote execution over a verified, pooled connection per server. */
export interface SshExecutor {
  /** Opens (or reuses) the connection, verifying the host key, and returns the fingerprint it presented. */
  connect(target: SshTarget, opts?: ConnectOptions): Promise<{ hostKeyFingerprint: string }>;
  /** Runs argv (quoted by `shellQuote`) and resolves with its output; throws SshError on failure. */
  exec(target: SshTarget, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Writes `data` to `remotePath` over SFTP (with the login user's rights). */
  upload(target: SshTarget, remotePath: string, data: string | Buffer, opts?: TransferOptions): Promise<void>;
  /** Reads `remotePath` over SFTP (with the login user's rights). */
  download(target: SshTarget, remotePath: string, opts?: TransferOptions): Promise<Buffer>;
  /** Closes the pooled connection of one server (its address, key or host key changed). */
  disconnect(targetId: string): Promise<void>;
  /** Closes every connection; the executor can still be used afterwards. */
  close(): Promise<void>;
}

import { AppError, type ErrorKind } from '../../lib/errors.js';

/** Codes of every failure the SSH adapter reports. */
export type SshErrorCode =
  | 'ssh.host_key_mismatch'
  | 'ssh.auth_failed'
  | 'ssh.unreachable'
  | 'ssh.unknown_host'
  | 'ssh.connect_timeout'
  | 'ssh.connection_lost'
  | 'ssh.command_failed'
  | 'ssh.command_timeout'
  | 'ssh.cancelled'
  | 'ssh.sudo_failed'
  | 'ssh.transfer_failed'
  | 'ssh.invalid_command';

const kinds: Record<SshErrorCode, ErrorKind> = {
  'ssh.host_key_mismatch': 'conflict',
  'ssh.auth_failed': 'unprocessable',
  'ssh.unreachable': 'unprocessable',
  'ssh.unknown_host': 'unprocessable',
  'ssh.connect_timeout': 'unprocessable',
  'ssh.connection_lost': 'unprocessable',
  'ssh.command_failed': 'unprocessable',
  'ssh.command_timeout': 'unprocessable',
  'ssh.cancelled': 'unprocessable',
  'ssh.sudo_failed': 'unprocessable',
  'ssh.transfer_failed': 'unprocessable',
  'ssh.invalid_command': 'invalid',
};

/** A failure talking to a server: a stable code, a message naming the server, and details in `meta`. */
export class SshError extends AppError {
  constructor(code: SshErrorCode, message: string, opts: { cause?: unknown; meta?: Record<string, unknown> } = {}) {
    super(kinds[code], code, message, opts);
    this.name = 'SshError';
  }
}

const CONNECTION_CODES = new Set<string>(['ssh.host_key_mismatch', 'ssh.auth_failed', 'ssh.unreachable', 'ssh.unknown_host', 'ssh.connect_timeout', 'ssh.connection_lost']);

/** True for failures to reach or log in to the server (as opposed to a command that ran and failed). */
export function isConnectionError(err: unknown): err is SshError {
  return (
    err instanceof SshError &&
    CONNECTION_CODES.has(err.code)
  );
}

/** The host presented a key other than the pinned one: nothing was sent or run. */
export class HostKeyMismatchError extends SshError {
  constructor(
    readonly host: string,
    readonly expectedFingerprint: string,
    readonly presentedFingerprint: string,
  ) {
    super(
      'ssh.host_key_mismatch',
      `The host key of ${host} changed: expected ${expectedFingerprint}, the server presented ${presentedFingerprint}. ` +
        'Nothing was run. If the server was reinstalled, an admin can accept the new key; otherwise someone may be intercepting the connection.',
      { meta: { expectedFingerprint, presentedFingerprint } },
    );
  }
}

/** A remote command exited non-zero (or by a signal). Carries argv, exit code and a redacted stderr tail. */
export class CommandFailedError extends SshError {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    host: string,
  ) {
    const how = exitCode !== null ? `exited with ${exitCode}` : `was killed by ${signal ?? 'a signal'}`;
    super('ssh.command_failed', `${argv.join(' ').slice(0, 200)} ${how} on ${host}${stderrTail ? `: ${lastLine(stderrTail)}` : '.'}`, {
      meta: { argv, exitCode, signal, stderrTail },
    });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

/** Patterns of secret-looking text masked in stderr tails even when the caller named no secrets. */
const SECRET_PATTERNS = [
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----)/g,
  /((?:password|passwd|passphrase|secret|token|api[_-]?key)\s*[=:]\s*)\S+/gi,
  /(:\/\/[^:/\s]+:)[^@\s]+(@)/g,
];

/** Replaces every given secret and secret-looking text with `***`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('***');
  out = out.replace(SECRET_PATTERNS[0] as RegExp, '$1***$2');
  out = out.replace(SECRET_PATTERNS[1] as RegExp, '$1***');
  out = out.replace(SECRET_PATTERNS[2] as RegExp, '$1***$2');
  return out;
}

/** The last `max` characters of text, cut at a line start when possible. */
export function tail(text: string, max = 2000): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max);
  const nl = cut.indexOf('\n');
  return nl >= 0 && nl < cut.length - 1 ? cut.slice(nl + 1) : cut;
}

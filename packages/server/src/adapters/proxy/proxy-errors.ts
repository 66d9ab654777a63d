import { AppError, type ErrorKind } from '../../lib/errors.js';

/** Codes of every failure the proxy adapter reports. */
export type ProxyErrorCode =
  | 'proxy.config_invalid'
  | 'proxy.unmanaged_path'
  | 'proxy.apply_failed'
  | 'proxy.reload_failed'
  | 'proxy.restore_failed'
  | 'proxy.locked';

const kinds: Record<ProxyErrorCode, ErrorKind> = {
  'proxy.config_invalid': 'unprocessable',
  'proxy.unmanaged_path': 'invalid',
  'proxy.apply_failed': 'unprocessable',
  'proxy.reload_failed': 'unprocessable',
  'proxy.restore_failed': 'internal',
  'proxy.locked': 'conflict',
};

/** A failure applying configuration on a server; details in `meta`. */
export class ProxyError extends AppError {
  constructor(code: ProxyErrorCode, message: string, opts: { cause?: unknown; meta?: Record<string, unknown> } = {}) {
    super(kinds[code], code, message, opts);
    this.name = 'ProxyError';
  }
}

/**
 * The server's own check refused the new files: they were taken back and
 * nothing was reloaded. Carries the checker's redacted stderr tail.
 */
export class ConfigRejectedError extends ProxyError {
  constructor(
    readonly checker: string,
    readonly stderrTail: string,
    readonly paths: readonly string[],
    host: string,
  ) {
    const first = stderrTail.split('\n').find((l) => /\[emerg\]|ERROR|ALERT|failed/i.test(l)) ?? stderrTail.trim().split('\n')[0] ?? '';
    super(
      'proxy.config_invalid',
      `${checker} rejected the new configuration on ${host}; the previous files are back and nothing was reloaded: ${first.slice(0, 300)}`,
      { meta: { checker, stderrTail, paths } },
    );
    this.name = 'ConfigRejectedError';
  }
}

/** What went wrong, in terms a caller can act on; the HTTP edge maps each kind to a status in one place. */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** A field that failed validation, by its dotted path. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * A typed error with a stable `code` (e.g. `server.host_key_mismatch`) and a
 * message a user can act on. Services throw these; they never see HTTP.
 */
export class AppError extends Error {
  readonly fields: readonly FieldError[];
  readonly meta: Readonly<Record<string, unknown>>;
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    opts: { cause?: unknown; fields?: FieldError[]; meta?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.fields = opts.fields ?? [];
    this.meta = opts.meta ?? {};
  }
}

/** The resource does not exist or belongs to another organization (never say which). */
export function notFound(resource: string, id?: string): AppError {
  return new AppError('not_found', `${resource}.not_found`, id ? `No ${resource} with id ${id}.` : `No such ${resource}.`);
}

/** Input that is well-formed but invalid, with the fields to fix. */
export function invalid(code: string, message: string, fields: FieldError[] = []): AppError {
  return new AppError('invalid', code, message, { fields });
}

/** The request conflicts with the current state (duplicate name, already done…). */
export function conflict(code: string, message: string): AppError {
  return new AppError('conflict', code, message);
}

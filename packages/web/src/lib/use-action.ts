import { useCallback, useState } from 'react';
import { ApiError } from '../api/client';

export type ActionResult<R> = { ok: true; value: R } | { ok: false; error: ApiError };

export interface Action<A extends unknown[], R> {
  run(...args: A): Promise<ActionResult<R>>;
  pending: boolean;
  error: ApiError | null;
  /** Field errors of the last failure, by form field name. */
  fieldErrors: Record<string, string>;
  reset(): void;
}

/**
 * Runs a mutation for a form or button: tracks pending, keeps the ApiError
 * of a failure for display, and rethrows anything that is not an ApiError.
 */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>): Action<A, R> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(
    async (...args: A): Promise<ActionResult<R>> => {
      setPending(true);
      setError(null);
      try {
        return { ok: true, value: await fn(...args) };
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        setError(err);
        return { ok: false, error: err };
      } finally {
        setPending(false);
      }
    },
    [fn],
  );
  const reset = useCallback(() => setError(null), []);
  return { run, pending, error, fieldErrors: error ? error.fieldErrors() : {}, reset };
}

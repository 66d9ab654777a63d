import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';

export interface Resource<T> {
  /** The last answer for the current key (kept while a reload runs). */
  data: T | undefined;
  error: ApiError | null;
  /** True until the first answer for the current key arrived. */
  loading: boolean;
  /** Fetches again; the current data stays on screen meanwhile. */
  reload(): void;
  /** Replaces the data after a mutation answered the new state. */
  set(value: T): void;
}

interface Loaded<T> {
  key: string | null;
  data: T | undefined;
  error: ApiError | null;
}

/**
 * One GET whose answer a page shows: loads whenever `key` changes (null
 * waits), reloads on demand or every `refreshMs`. `fetcher` may change every
 * render; the latest one is used.
 */
export function useResource<T>(
  key: string | null,
  fetcher: (signal: AbortSignal) => Promise<T>,
  opts: {
    refreshMs?: number | null;
    /** Keep showing the previous key's data until the new key's arrives (a chart changing its range). */
    keepPrevious?: boolean;
  } = {},
): Resource<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ key: null, data: undefined, error: null });
  const [generation, setGeneration] = useState(0);
  const fetchRef = useRef(fetcher);
  useEffect(() => {
    fetchRef.current = fetcher;
  });

  useEffect(() => {
    if (key === null) return;
    const ctrl = new AbortController();
    fetchRef.current(ctrl.signal).then(
      (data) => {
        if (!ctrl.signal.aborted) setLoaded({ key, data, error: null });
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        if (!(err instanceof ApiError)) throw err;
        // A failed reload keeps what was shown, with the error next to it.
        setLoaded((l) => ({ key, data: l.key === key ? l.data : undefined, error: err }));
      },
    );
    return () => ctrl.abort();
  }, [key, generation]);

  const refreshMs = opts.refreshMs ?? null;
  useEffect(() => {
    if (key === null || refreshMs === null) return;
    const timer = setInterval(() => {
      // Hidden tabs do not poll; they catch up when shown again.
      if (document.visibilityState === 'visible') setGeneration((g) => g + 1);
    }, refreshMs);
    return () => clearInterval(timer);
  }, [key, refreshMs]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const set = useCallback((value: T) => setLoaded((l) => ({ ...l, data: value, error: null })), []);
  const current = loaded.key === key;
  return {
    data: current || (opts.keepPrevious && key !== null) ? loaded.data : undefined,
    error: current ? loaded.error : null,
    loading: key !== null && (!current || (loaded.data === undefined && loaded.error === null)),
    reload,
    set,
  };
}

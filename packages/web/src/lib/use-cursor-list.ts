import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { Page } from '@devflow/contracts';

export interface CursorList<T> {
  items: T[];
  loading: boolean;
  error: ApiError | null;
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
  /** Local edits after a mutation, without a round trip. */
  update(fn: (items: T[]) => T[]): void;
}

interface Loaded<T> {
  key: string | null;
  generation: number;
  items: T[];
  cursor: string | null;
  error: ApiError | null;
}

/**
 * A paginated list (`{data, nextCursor}`): the first page loads whenever
 * `key` changes (filters, organization; null waits), later pages append on
 * loadMore(). `fetchPage` may change every render; the latest one is used.
 */
export function useCursorList<T>(
  key: string | null,
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
): CursorList<T> {
  const [generation, setGeneration] = useState(0);
  const [loaded, setLoaded] = useState<Loaded<T>>({ key: null, generation: -1, items: [], cursor: null, error: null });
  const [loadingMore, setLoadingMore] = useState(false);
  const fetchRef = useRef(fetchPage);
  useEffect(() => {
    fetchRef.current = fetchPage;
  });
  const more = useRef<AbortController | null>(null);

  useEffect(() => {
    if (key === null) return;
    const ctrl = new AbortController();
    more.current?.abort();
    fetchRef.current(undefined, ctrl.signal).then(
      (page) => {
        if (!ctrl.signal.aborted) setLoaded({ key, generation, items: page.data, cursor: page.nextCursor ?? null, error: null });
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        if (!(err instanceof ApiError)) throw err;
        setLoaded({ key, generation, items: [], cursor: null, error: err });
      },
    );
    return () => ctrl.abort();
  }, [key, generation]);

  const current = loaded.key === key;
  const firstPagePending = key !== null && (!current || loaded.generation !== generation);

  const loadMore = () => {
    const cursor = loaded.cursor;
    if (cursor === null || loadingMore || firstPagePending) return;
    const ctrl = new AbortController();
    more.current = ctrl;
    setLoadingMore(true);
    fetchRef.current(cursor, ctrl.signal)
      .then(
        (page) => {
          if (ctrl.signal.aborted) return;
          setLoaded((l) => ({ ...l, items: [...l.items, ...page.data], cursor: page.nextCursor ?? null, error: null }));
        },
        (err: unknown) => {
          if (ctrl.signal.aborted) return;
          if (!(err instanceof ApiError)) throw err;
          setLoaded((l) => ({ ...l, error: err }));
        },
      )
      .finally(() => {
        if (!ctrl.signal.aborted) setLoadingMore(false);
      });
  };

  return {
    // Items of another key (the previous organization or filter) are never shown.
    items: current ? loaded.items : [],
    loading: firstPagePending || loadingMore,
    error: current ? loaded.error : null,
    hasMore: current && !firstPagePending && loaded.cursor !== null,
    loadMore,
    reload: () => setGeneration((g) => g + 1),
    update: (fn) => setLoaded((l) => ({ ...l, items: fn(l.items) })),
  };
}

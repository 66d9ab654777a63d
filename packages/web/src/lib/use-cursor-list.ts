import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import type { Page } from '../api/types';

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

/**
 * A paginated list (`{data, nextCursor}`): the first page loads when `key`
 * changes (filters, organization), later pages append on loadMore().
 */
export function useCursorList<T>(
  key: string | null,
  fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
): CursorList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(key !== null);
  const [error, setError] = useState<ApiError | null>(null);
  const [generation, setGeneration] = useState(0);
  const fetchRef = useRef(fetchPage);
  useEffect(() => {
    fetchRef.current = fetchPage;
  });
  const inflight = useRef<AbortController | null>(null);

  const load = useCallback(async (from: string | undefined, append: boolean) => {
    inflight.current?.abort();
    const ctrl = new AbortController();
    inflight.current = ctrl;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchRef.current(from, ctrl.signal);
      if (ctrl.signal.aborted) return;
      setItems((prev) => (append ? [...prev, ...page.data] : page.data));
      setCursor(page.nextCursor ?? null);
    } catch (err) {
      if (ctrl.signal.aborted) return;
      if (!(err instanceof ApiError)) throw err;
      setError(err);
    } finally {
      if (!ctrl.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (key === null) return;
    void load(undefined, false);
    return () => inflight.current?.abort();
  }, [key, generation, load]);

  return {
    items,
    loading,
    error,
    hasMore: cursor !== null,
    loadMore: () => {
      if (cursor !== null && !loading) void load(cursor, true);
    },
    reload: () => setGeneration((g) => g + 1),
    update: (fn) => setItems(fn),
  };
}

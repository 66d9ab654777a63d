import { useEffect, useRef, useSyncExternalStore } from 'react';

/** An event of GET /api/v1/events (its `type` is the SSE event name). */
export interface DevflowEvent<P = unknown> {
  id: number;
  type: string;
  organizationId: string | null;
  payload: P;
  createdAt: string;
}

export type StreamStatus = 'idle' | 'connecting' | 'open' | 'retrying';
type Handler = (event: DevflowEvent) => void;

const URL_PATH = '/api/v1/events';
const MAX_BACKOFF_MS = 30_000;

/**
 * One EventSource per tab, shared by every useEvents() caller and open while
 * at least one is mounted. The browser reconnects by itself after network
 * errors (sending Last-Event-ID); when it gives up (an HTTP error such as 401
 * or 503) we reopen with backoff and resume with `?lastEventId=`.
 */
class EventStream {
  private source: EventSource | null = null;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly listening = new Set<string>();
  private subscribers = 0;
  private lastEventId: string | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly statusListeners = new Set<() => void>();
  status: StreamStatus = 'idle';

  subscribe(types: readonly string[], handler: Handler): () => void {
    for (const t of types) {
      let set = this.handlers.get(t);
      if (!set) this.handlers.set(t, (set = new Set()));
      set.add(handler);
      this.listen(t);
    }
    if (this.subscribers++ === 0) this.open();
    return () => {
      for (const t of types) this.handlers.get(t)?.delete(handler);
      if (--this.subscribers === 0) this.close();
    };
  }

  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setStatus(status: StreamStatus): void {
    if (this.status === status) return;
    this.status = status;
    for (const l of this.statusListeners) l();
  }

  private readonly dispatch = (message: Event) => {
    const m = message as MessageEvent<string>;
    if (m.lastEventId) this.lastEventId = m.lastEventId;
    let event: DevflowEvent;
    try {
      event = JSON.parse(m.data) as DevflowEvent;
    } catch {
      return;
    }
    for (const h of this.handlers.get(m.type) ?? []) h(event);
  };

  private listen(type: string): void {
    if (this.listening.has(type)) return;
    this.listening.add(type);
    this.source?.addEventListener(type, this.dispatch);
  }

  private open(): void {
    clearTimeout(this.timer);
    this.setStatus(this.attempt === 0 ? 'connecting' : 'retrying');
    const url = this.lastEventId ? `${URL_PATH}?lastEventId=${encodeURIComponent(this.lastEventId)}` : URL_PATH;
    const source = new EventSource(url);
    for (const t of this.listening) source.addEventListener(t, this.dispatch);
    source.onopen = () => {
      this.attempt = 0;
      this.setStatus('open');
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        if (this.source === source) this.source = null;
        this.scheduleReopen();
      } else {
        this.setStatus('retrying');
      }
    };
    this.source = source;
  }

  private scheduleReopen(): void {
    if (this.subscribers === 0) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setStatus('retrying');
    this.timer = setTimeout(() => this.open(), delay);
  }

  private close(): void {
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
    this.attempt = 0;
    this.setStatus('idle');
  }
}

const stream = new EventStream();

/**
 * Calls `handler` for each live event of the given types while mounted and
 * returns the connection status. Reconnects automatically.
 */
export function useEvents<P = unknown>(
  types: readonly string[],
  handler: (event: DevflowEvent<P>) => void,
): StreamStatus {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  const key = types.join('\n');
  useEffect(() => {
    const list = key ? key.split('\n') : [];
    return stream.subscribe(list, (e) => latest.current(e as DevflowEvent<P>));
  }, [key]);
  return useSyncExternalStore(
    (l) => stream.onStatus(l),
    () => stream.status,
    () => 'idle' as const,
  );
}

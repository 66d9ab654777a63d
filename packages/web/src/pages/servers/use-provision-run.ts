import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../../api/client';
import { serversApi } from '../../api/servers';
import type { ProvisionLogLine, ProvisionRun } from '@devflow/contracts';
import { useEvents, type StreamStatus } from '../../hooks/use-events';

/** Events the server publishes about provisioning runs (provision-log.ts, provisioning.service.ts). */
export const PROVISION_EVENTS = ['server.provision.log', 'server.provision.finished'] as const;
interface LogPayload {
  serverId: string;
  runId: string;
  lines: ProvisionLogLine[];
}
interface FinishedPayload {
  serverId: string;
  runId: string;
  status: ProvisionRun['status'];
  error: string | null;
}

const POLL_MS = 2_000;
const SAFETY_POLL_MS = 10_000;
/** Lines kept in the page; the oldest go first (the API keeps them all). */
const MAX_LINES = 5_000;

export function isActive(run: ProvisionRun | null): boolean {
  return run?.status === 'queued' || run?.status === 'running';
}

export interface LiveRun {
  run: ProvisionRun | null;
  lines: ProvisionLogLine[];
  /** How new lines arrive: `live` over SSE, else `polling` the logs endpoint. */
  mode: 'live' | 'polling' | 'idle';
  error: ApiError | null;
  /** Follows a run that has just been started. */
  follow(run: ProvisionRun): void;
}

/**
 * A provisioning run and its log, kept current: lines arrive as
 * `server.provision.log` events while the event stream is open, and the logs
 * endpoint is polled (from the last seq seen) while it is not; a gap in the
 * sequence is filled from the endpoint too. Step statuses are re-read after
 * new lines and when `server.provision.finished` arrives.
 */
export function useProvisionRun(serverId: string, initial: ProvisionRun | null, onFinished: () => void): LiveRun {
  const [run, setRun] = useState<ProvisionRun | null>(initial);
  const [lines, setLines] = useState<ProvisionLogLine[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const lastSeq = useRef(0);
  const runId = run?.id ?? null;
  const active = isActive(run);
  const finished = useRef(onFinished);
  useEffect(() => {
    finished.current = onFinished;
  });

  const append = useCallback((batch: readonly ProvisionLogLine[]) => {
    const fresh = batch.filter((l) => l.seq > lastSeq.current).sort((a, b) => a.seq - b.seq);
    const last = fresh.at(-1);
    if (!last) return;
    lastSeq.current = last.seq;
    setLines((ls) => {
      const next = ls.concat(fresh);
      return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
    });
  }, []);

  const failed = useCallback((err: unknown) => {
    if (err instanceof DOMException && err.name === 'AbortError') return;
    if (!(err instanceof ApiError)) throw err;
    setError(err);
  }, []);

  /** Reads every line after the last one seen. */
  const catchUp = useCallback(
    async (signal?: AbortSignal) => {
      if (!runId) return;
      for (let page = 0; page < 50; page++) {
        const res = await serversApi.runLogs(serverId, runId, lastSeq.current, signal);
        append(res.data);
        setError(null);
        if (res.data.length < 1000) return;
      }
    },
    [serverId, runId, append],
  );

  const refreshRun = useCallback(async () => {
    if (!runId) return;
    const fresh = await serversApi.getRun(serverId, runId);
    setRun((r) => (r?.id === fresh.id ? fresh : r));
  }, [serverId, runId]);

  // The run whose lines `lastSeq` counts; a second follow() of the same run (the start answer and its first event) keeps them.
  const followed = useRef(runId);
  const follow = useCallback((next: ProvisionRun) => {
    if (followed.current === next.id) return;
    followed.current = next.id;
    lastSeq.current = 0;
    setLines([]);
    setError(null);
    setRun(next);
  }, []);

  // A new run: read what it has logged so far.
  useEffect(() => {
    if (!runId) return;
    const ctrl = new AbortController();
    serversApi
      .runLogs(serverId, runId, lastSeq.current, ctrl.signal)
      .then((res) => {
        append(res.data);
        if (res.data.length >= 1000) return catchUp(ctrl.signal);
      })
      .catch(failed);
    return () => ctrl.abort();
  }, [serverId, runId, append, catchUp, failed]);

  // Step statuses change with the log: re-read the run at most every 750 ms.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshSoon = useCallback(() => {
    refreshTimer.current ??= setTimeout(() => {
      refreshTimer.current = undefined;
      refreshRun().catch(failed);
    }, 750);
  }, [refreshRun, failed]);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  const stream: StreamStatus = useEvents<LogPayload | FinishedPayload>(PROVISION_EVENTS, (e) => {
    const p = e.payload;
    if (p.serverId !== serverId) return;
    if (p.runId !== runId) {
      // A run started elsewhere (another tab, the CLI): follow it unless this one is still going.
      if (!active) serversApi.getRun(serverId, p.runId).then(follow, failed);
      return;
    }
    if (e.type === 'server.provision.log' && 'lines' in p) {
      const first = p.lines[0];
      if (first && first.seq > lastSeq.current + 1) catchUp().catch(failed);
      else append(p.lines);
      refreshSoon();
    } else if (e.type === 'server.provision.finished') {
      // Once the run reads as finished, the effect below tells the page.
      Promise.all([catchUp(), refreshRun()]).catch(failed);
    }
  });
  const live = stream === 'open';

  // Without the stream, poll; with it, re-read once when it (re)opens, then now and then in case an event was missed.
  useEffect(() => {
    if (!active) return;
    const tick = () => {
      catchUp().catch(failed);
      refreshRun().catch(failed);
    };
    if (live) tick();
    const timer = setInterval(tick, live ? SAFETY_POLL_MS : POLL_MS);
    return () => clearInterval(timer);
  }, [active, live, catchUp, refreshRun, failed]);

  // The run ended: tell the page (the server's facts and status may have changed).
  const wasActive = useRef(active);
  useEffect(() => {
    if (wasActive.current && !active) finished.current();
    wasActive.current = active;
  }, [active]);

  return { run, lines, mode: active ? (live ? 'live' : 'polling') : 'idle', error, follow };
}

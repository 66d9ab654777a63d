import { useEffect, useState } from 'react';
import type { LogLine } from '@devflow/contracts';

export type LogStreamState = 'connecting' | 'open' | 'retrying' | 'ended';

const MAX_BACKOFF_MS = 30_000;

/**
 * The live log of a deployment over SSE. The browser reconnects by itself
 * after a network error, sending Last-Event-ID (the last seq) so the server
 * resumes after it; when it gives up (an HTTP error) we reopen with backoff
 * and `?after=<seq>`. Lines are deduplicated by seq either way.
 */
export function useLogStream(url: string): { lines: LogLine[]; state: LogStreamState } {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<LogStreamState>('connecting');

  useEffect(() => {
    let last = 0;
    let source: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let done = false;
    let pending: LogLine[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      if (batch.length) setLines((ls) => [...ls, ...batch]);
    };
    const open = () => {
      const s = new EventSource(last ? `${url}?after=${last}` : url);
      source = s;
      s.onopen = () => {
        attempt = 0;
        setState('open');
      };
      s.addEventListener('log', (m) => {
        let line: LogLine;
        try {
          line = JSON.parse((m as MessageEvent<string>).data) as LogLine;
        } catch {
          return;
        }
        if (line.seq <= last) return;
        last = line.seq;
        pending.push(line);
        // Bursts of lines render once per frame, not once per line.
        if (!frame) frame = requestAnimationFrame(flush);
      });
      s.addEventListener('end', () => {
        done = true;
        s.close();
        flush();
        setState('ended');
      });
      s.onerror = () => {
        if (done) return;
        if (s.readyState === EventSource.CLOSED) {
          s.close();
          const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt++);
          setState('retrying');
          timer = setTimeout(open, delay);
        } else setState('retrying');
      };
    };
    open();
    return () => {
      done = true;
      clearTimeout(timer);
      if (frame) cancelAnimationFrame(frame);
      source?.close();
    };
  }, [url]);

  return { lines, state };
}

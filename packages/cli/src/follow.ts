import type { LogLine } from '@devflow/contracts';
import type { DevflowClient } from './client.js';

/** One Server-Sent Event as the server framed it. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** Splits a text/event-stream body into events (comments and retry lines are skipped). */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0 || line === '') continue;
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) yield { id, event, data: data.join('\n') };
    }
  }
}

export interface FollowOptions {
  /** Called for every log line, in order, each once. */
  onLine: (line: LogLine) => void;
  /** Reconnect attempts after the stream broke before giving up (default 5). */
  retries?: number;
  /** Delay between attempts (default 1 s). */
  retryMs?: number;
}

/**
 * Streams a deployment's log until the deployment ends, resuming after a
 * dropped connection from the last line seen (Last-Event-ID), so no line is
 * printed twice or lost. Resolves with the final status.
 */
export async function followLog(client: DevflowClient, deploymentId: string, opts: FollowOptions): Promise<string> {
  let last: string | undefined;
  let failures = 0;
  const retries = opts.retries ?? 5;
  for (;;) {
    try {
      const res = await client.stream(`/api/v1/deployments/${encodeURIComponent(deploymentId)}/logs`, last);
      for await (const e of readEvents(res)) {
        failures = 0;
        if (e.event === 'log') {
          opts.onLine(JSON.parse(e.data) as LogLine);
          last = e.id;
        } else if (e.event === 'end') {
          return (JSON.parse(e.data) as { status: string }).status;
        }
      }
      // The server closed the stream before the end: resume like after an error.
      if (++failures > retries) throw new Error('the log stream kept closing before the deployment ended');
    } catch (err) {
      if (isApiError(err)) throw err;
      if (++failures > retries) throw err;
    }
    await new Promise((r) => setTimeout(r, opts.retryMs ?? 1000));
  }
}

function isApiError(err: unknown): boolean {
  return err instanceof Error && err.name === 'ApiError';
}

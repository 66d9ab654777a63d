import type { Session } from './app.js';

export interface SseFrame {
  id: number;
  event: string;
  data: { id: number; type: string; organizationId: string | null; payload: Record<string, unknown> };
}

/** An open GET /api/v1/events read with fetch, frames parsed as they arrive. */
export interface SseStream {
  status: number;
  frames: SseFrame[];
  /** True once the server ended the response. */
  ended: () => boolean;
  close(): void;
}

/** Opens the event stream over a real port as a session or an API token (optionally replaying after `lastEventId`). */
export async function openEvents(base: string, as: { session?: Session; token?: string }, lastEventId?: number): Promise<SseStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (as.session) headers.cookie = `devflow_session=${as.session.cookie}`;
  if (as.token) headers.authorization = `Bearer ${as.token}`;
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const res = await fetch(`${base}/api/v1/events`, { headers, signal: controller.signal });
  const frames: SseFrame[] = [];
  let ended = false;
  let preamble = false;
  if (res.status !== 200 || !res.body) {
    await res.text().catch(() => '');
    return { status: res.status, frames, ended: () => true, close: () => controller.abort() };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('retry:')) preamble = true;
          const fields = new Map<string, string>();
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
          const data = fields.get('data');
          if (data) frames.push({ id: Number(fields.get('id')), event: fields.get('event') ?? 'message', data: JSON.parse(data) as SseFrame['data'] });
        }
      }
    } catch {
      // aborted by close()
    }
    ended = true;
  })();
  // The server subscribes before it sends the retry hint: after it, nothing published is missed.
  await until('the stream preamble', () => preamble || ended);
  return { status: res.status, frames, ended: () => ended, close: () => controller.abort() };
}

/** Polls `probe` until it is truthy (every 20 ms, up to `timeoutMs`). */
export async function until(what: string, probe: () => unknown, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

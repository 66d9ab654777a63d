import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevflowClient } from '../src/client.js';
import { followLog } from '../src/follow.js';

/** A log stream that breaks after two lines the first time, like a proxy dropping an idle connection. */
describe('following a deployment log over Server-Sent Events', () => {
  const seen: (string | undefined)[] = [];
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers['last-event-id'] as string | undefined);
      if (req.headers.authorization !== 'Bearer dfp_test') {
        res.writeHead(401, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 401, code: 'auth.token_invalid', detail: 'The token is not valid.' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const line = (seq: number, text: string) => `id: ${seq}\nevent: log\ndata: ${JSON.stringify({ seq, at: '2026-11-27T10:00:00.000Z', step: 'build', stream: 'stdout', line: text })}\n\n`;
      if (seen.length === 1) {
        // Split an event across two writes, then drop the connection.
        res.write('retry: 3000\n\n: comment\n\n' + line(1, 'one') + line(2, 'two').slice(0, 20));
        setTimeout(() => {
          res.write(line(2, 'two').slice(20));
          setTimeout(() => res.destroy(), 20);
        }, 20);
        return;
      }
      res.end(line(3, 'three') + `event: end\ndata: {"status":"succeeded"}\n\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('resumes after a dropped connection from the last line seen, printing each line once', async () => {
    const lines: string[] = [];
    const status = await followLog(new DevflowClient(base, 'dfp_test'), 'dep_1', { onLine: (l) => lines.push(l.line), retryMs: 10 });
    expect(status).toBe('succeeded');
    expect(lines).toEqual(['one', 'two', 'three']);
    expect(seen).toEqual([undefined, '2']);
  });

  it('does not retry a refused request: the API problem comes back', async () => {
    await expect(followLog(new DevflowClient(base, 'dfp_wrong'), 'dep_1', { onLine: () => undefined, retryMs: 10 })).rejects.toMatchObject({
      name: 'ApiError',
      status: 401,
      problem: { code: 'auth.token_invalid' },
    });
  });
});

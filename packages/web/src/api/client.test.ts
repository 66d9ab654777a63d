import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from './client';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  credentials: RequestCredentials | undefined;
}

/** A fetch that records requests and answers from a list, in order. */
function fakeFetch(answers: (Response | Error)[]) {
  const calls: Call[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body as string | undefined,
      credentials: init?.credentials,
    });
    const next = answers.shift();
    if (!next) throw new Error('no answer left');
    if (next instanceof Error) throw next;
    return next;
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const problem = (status: number, code: string, detail: string, errors?: { field: string; message: string }[]) =>
  new Response(JSON.stringify({ type: `urn:devflow:problem:${code}`, title: 'x', status, code, detail, errors, requestId: 'req-1' }), {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
  });

describe('ApiClient', () => {
  it('sends the session cookie and the CSRF token only on unsafe methods', async () => {
    const { calls, fetch } = fakeFetch([json(200, { ok: 1 }), json(201, { id: 't1' }), new Response(null, { status: 204 })]);
    const api = new ApiClient({ fetch });
    api.setCsrfToken('csrf-1');

    expect(await api.get('/api/v1/tokens', { query: { cursor: 'c2', actor: '', limit: 50, x: undefined } })).toEqual({ ok: 1 });
    expect(await api.post('/api/v1/tokens', { name: 'ci' })).toEqual({ id: 't1' });
    expect(await api.delete('/api/v1/tokens/t1')).toBeUndefined();

    expect(calls[0]).toMatchObject({ url: '/api/v1/tokens?cursor=c2&limit=50', method: 'GET', credentials: 'same-origin' });
    expect(calls[0]?.headers['x-csrf-token']).toBeUndefined();
    expect(calls[1]?.headers).toMatchObject({ 'x-csrf-token': 'csrf-1', 'content-type': 'application/json' });
    expect(calls[1]?.body).toBe('{"name":"ci"}');
    expect(calls[2]?.headers['x-csrf-token']).toBe('csrf-1');
    expect(calls[2]?.headers['content-type']).toBeUndefined();
  });

  it('turns problem+json into an ApiError with field errors by form name', async () => {
    const { fetch } = fakeFetch([
      problem(400, 'request.validation', 'The request has invalid fields: body.email.', [
        { field: 'body.email', message: 'Invalid email' },
        { field: 'body.email', message: 'second message' },
        { field: 'querystring.from', message: 'Invalid date' },
      ]),
    ]);
    const err = await new ApiClient({ fetch }).post('/api/v1/auth/setup', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e).toMatchObject({ status: 400, code: 'request.validation', requestId: 'req-1' });
    expect(e.detail).toBe('The request has invalid fields: body.email.');
    expect(e.fieldErrors()).toEqual({ email: 'Invalid email', from: 'Invalid date' });
  });

  it('keeps extension members of a problem, such as the fingerprints of a changed host key', async () => {
    const body = { type: 'urn:x', title: 'x', status: 409, code: 'server.host_key_mismatch', detail: 'changed', requestId: 'r', expectedFingerprint: 'SHA256:a', presentedFingerprint: 'SHA256:b' };
    const { fetch } = fakeFetch([new Response(JSON.stringify(body), { status: 409, headers: { 'content-type': 'application/problem+json' } })]);
    const err = await new ApiClient({ fetch }).post('/api/v1/servers/s1/validate').catch((e: unknown) => e);
    expect((err as ApiError).extensions).toEqual({ expectedFingerprint: 'SHA256:a', presentedFingerprint: 'SHA256:b' });
  });

  it('reports answers that are not problems, and network failures, as ApiErrors too', async () => {
    const { fetch } = fakeFetch([
      new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } }),
      new TypeError('Failed to fetch'),
    ]);
    const api = new ApiClient({ fetch });
    await expect(api.get('/api/v1/me')).rejects.toMatchObject({ status: 502, code: 'http.502' });
    await expect(api.get('/api/v1/me')).rejects.toMatchObject({ status: 0, code: 'network.unreachable' });
  });

  it('signals an ended session on 401, except for the sign-in calls themselves', async () => {
    const { fetch } = fakeFetch([
      problem(401, 'auth.totp_required', 'Enter the code.'),
      problem(401, 'auth.required', 'Sign in.'),
    ]);
    const api = new ApiClient({ fetch });
    let ended = 0;
    api.onUnauthorized(() => ended++);
    await expect(api.post('/api/v1/auth/login', {})).rejects.toMatchObject({ code: 'auth.totp_required' });
    expect(ended).toBe(0);
    await expect(api.get('/api/v1/tokens')).rejects.toMatchObject({ status: 401 });
    expect(ended).toBe(1);
  });

  it('refreshes a stale CSRF token from GET /me once and retries', async () => {
    const { calls, fetch } = fakeFetch([
      problem(403, 'auth.csrf_invalid', 'Wrong CSRF token.'),
      json(200, { user: {}, csrfToken: 'fresh', memberships: [] }),
      json(200, { done: true }),
    ]);
    const api = new ApiClient({ fetch });
    api.setCsrfToken('stale');
    expect(await api.post('/api/v1/me/password', { currentPassword: 'a', newPassword: 'b' })).toEqual({ done: true });
    expect(calls.map((c) => `${c.method} ${c.url} ${c.headers['x-csrf-token'] ?? '-'}`)).toEqual([
      'POST /api/v1/me/password stale',
      'GET /api/v1/me -',
      'POST /api/v1/me/password fresh',
    ]);
  });
});

import type { FieldError, ProblemBody } from '@devflow/contracts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const UNSAFE: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Prefixes the server puts before a field name (`body.email`); forms only know `email`. */
const FIELD_PREFIX = /^(body|querystring|params|headers)\./;

/** An error answer of the API, from its application/problem+json body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly type: string;
  readonly title: string;
  readonly errors: readonly FieldError[];
  readonly requestId: string | undefined;
  /** Extension members of the problem (e.g. `presentedFingerprint` of `server.host_key_mismatch`). */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(problem: ProblemBody & Record<string, unknown>) {
    super(problem.detail);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.type = problem.type;
    this.title = problem.title;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
    const { type: _t, title: _ti, status: _s, detail: _d, code: _c, errors: _e, requestId: _r, ...extensions } = problem;
    this.extensions = extensions;
  }

  /** Field errors by form field name (`body.email` → `email`); the first message of a field wins. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const name = e.field.replace(FIELD_PREFIX, '');
      out[name] ??= e.message;
    }
    return out;
  }
}

function isProblem(body: unknown): body is ProblemBody & Record<string, unknown> {
  return typeof body === 'object' && body !== null && typeof (body as ProblemBody).code === 'string';
}

/** Builds an ApiError for answers that are not problem documents (proxies, network failures). */
function syntheticError(status: number, code: string, detail: string): ApiError {
  return new ApiError({ type: `urn:devflow:problem:${code}`, title: 'Error', status, code, detail });
}

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** Prefix of every path; empty for the same origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
}

/**
 * The one way the UI talks to the API: same-origin cookie session, the CSRF
 * token on unsafe methods, and problem+json answers thrown as ApiError.
 */
export class ApiClient {
  private csrfToken: string | null = null;
  private readonly unauthorized = new Set<() => void>();
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: ApiClientOptions = {}) {
    this.baseUrl = opts.baseUrl ?? '';
    // Bound so a plain `fetch` reference keeps its `this` (browsers throw "Illegal invocation" otherwise).
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Keeps the token from login, setup or GET /me for later unsafe requests. */
  setCsrfToken(token: string | null): void {
    this.csrfToken = token;
  }

  /** Called when an authenticated request answers 401 (the session ended); returns an unsubscribe. */
  onUnauthorized(listener: () => void): () => void {
    this.unauthorized.add(listener);
    return () => this.unauthorized.delete(listener);
  }

  get<T>(path: string, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  post<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  put<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...opts, body });
  }

  patch<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...opts, body });
  }

  delete<T = void>(path: string, body?: unknown, opts: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.request<T>('DELETE', path, { ...opts, body });
  }

  async request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    try {
      return await this.send<T>(method, path, opts);
    } catch (err) {
      // The session's CSRF token changes when the user signs in again in another tab: refresh it once.
      if (err instanceof ApiError && err.status === 403 && err.code.includes('csrf') && UNSAFE.has(method)) {
        const me = await this.send<{ csrfToken?: string }>('GET', '/api/v1/me', {});
        if (me.csrfToken) this.csrfToken = me.csrfToken;
        return this.send<T>(method, path, opts);
      }
      throw err;
    }
  }

  private async send<T>(method: Method, path: string, opts: RequestOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (UNSAFE.has(method) && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;

    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path, opts.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw syntheticError(0, 'network.unreachable', 'Cannot reach the DevFlow server. Check the connection and try again.');
    }

    const body = await readBody(res);
    if (res.ok) return body as T;

    const error = isProblem(body)
      ? new ApiError({ ...body, status: body.status ?? res.status, detail: body.detail ?? res.statusText })
      : syntheticError(res.status, `http.${res.status}`, `The server answered ${res.status} ${res.statusText}.`.trim());
    // Login and setup answer 401 for wrong credentials; only other 401s mean the session is gone.
    if (res.status === 401 && !path.startsWith('/api/v1/auth/')) for (const l of this.unauthorized) l();
    throw error;
  }

  private url(path: string, query: Query | undefined): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204 || res.status === 205) return undefined;
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (!text) return undefined;
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  return text;
}

/** The client the app uses. */
export const api = new ApiClient();

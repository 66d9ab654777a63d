import type { ProblemBody } from '@devflow/contracts';

/** An API error as the server described it (application/problem+json). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Partial<ProblemBody>) {
    super(problem.detail ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

function problemOf(status: number, text: string): ApiError {
  try {
    return new ApiError(status, (text ? JSON.parse(text) : {}) as Partial<ProblemBody>);
  } catch {
    return new ApiError(status, { detail: `HTTP ${status}: ${text.slice(0, 200)}` });
  }
}

/** A minimal client of the public API, authenticated with an API token. */
export class DevflowClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  /** Sends a request and returns the parsed JSON body; throws ApiError on a problem answer. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const text = await this.text(method, path, body);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Sends a request and returns the body as text (e.g. JSON lines); throws ApiError on a problem answer. */
  async text(method: string, path: string, body?: unknown): Promise<string> {
    const res = await fetch(new URL(path, this.baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw problemOf(res.status, text);
    return text;
  }

  /** Opens a Server-Sent Events stream, resuming after `lastEventId`; throws ApiError when refused. */
  async stream(path: string, lastEventId?: string): Promise<ReadableStream<Uint8Array>> {
    const res = await fetch(new URL(path, this.baseUrl), {
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'text/event-stream',
        ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
      },
    });
    if (!res.ok || !res.body) throw problemOf(res.status, await res.text());
    return res.body;
  }
}

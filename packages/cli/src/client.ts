import type { ProblemBody } from '@devflow/contracts';

/** An API error as the server described it (application/problem+json). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Partial<ProblemBody>) {
    super(problem.detail ?? `HTTP ${status}`);
    this.name = 'ApiError';
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
    const parsed: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as Partial<ProblemBody>);
    return parsed as T;
  }
}

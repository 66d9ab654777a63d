import { createApp, type App, type AppOptions } from '../../src/app.js';
import { OutboundGuard } from '../../src/adapters/outbound/outbound-guard.js';
import { loadConfig } from '../../src/config/config.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';

/** A DevFlow control plane on a fresh database, driven in-process through `app.http.inject`. */
export interface TestApp {
  app: App;
  db: TestDatabase;
  /** Sends a request; JSON bodies are encoded, and the answer's JSON is parsed. */
  request(method: string, url: string, opts?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  session?: Session;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: unknown;
  /** The body typed as an object with any fields (for assertions). */
  json: Record<string, unknown> & { data?: Record<string, unknown>[] };
  text: string;
}

/** A signed-in browser: the session cookie and its CSRF token. */
export interface Session {
  cookie: string;
  csrfToken: string;
  userId: string;
}

/** Headers (token, session cookie and CSRF token, content type) and body of a test request. */
export function encodeRequest(o: RequestOptions): { headers: Record<string, string>; payload: string | undefined } {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.session) {
    headers.cookie = `devflow_session=${o.session.cookie}`;
    headers['x-csrf-token'] ??= o.session.csrfToken;
  }
  let payload: string | undefined;
  if (o.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  }
  return { headers, payload };
}

/** A TestResponse from status, headers and body text (JSON parsed when it is JSON). */
export function decodeResponse(status: number, headers: TestResponse['headers'], text: string): TestResponse {
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON; keep the text
  }
  return { status, headers, body, json: (body ?? {}) as TestResponse['json'], text };
}

/** Starts the serve role on a fresh SQLite or PostgreSQL database. Call close() in afterAll. */
export async function startTestApp(
  dialect: DialectName = 'sqlite',
  opts: Partial<AppOptions> & { env?: Record<string, string> } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(dialect);
  const config = loadConfig({
    DEVFLOW_DATA_DIR: db.dataDir,
    DATABASE_URL: db.url,
    DEVFLOW_LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const app = await createApp(config, { role: 'serve', ...opts });
  const http = app.http;
  if (!http) throw new Error('serve role has no HTTP app');
  await http.ready();
  return {
    app,
    db,
    async request(method, url, o = {}) {
      const { headers, payload } = encodeRequest(o);
      const res = await http.inject({ method: method as 'GET', url, headers, payload });
      return decodeResponse(res.statusCode, res.headers, res.body);
    },
    async close() {
      await app.stop();
      await db.drop();
    },
  };
}

export const TEST_PASSWORD = 'correct horse battery staple';

/** Runs first-run setup and returns the owner's session and organization id. */
export async function setupOwner(t: Pick<TestApp, 'request'>, email = 'owner@example.test'): Promise<Session & { organizationId: string }> {
  const res = await t.request('POST', '/api/v1/auth/setup', {
    body: { email, password: TEST_PASSWORD, name: 'Owner', organizationName: 'Acme' },
  });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`);
  const session = sessionFrom(res);
  const me = await t.request('GET', '/api/v1/me', { session });
  const memberships = me.json.memberships as { organizationId: string }[];
  return { ...session, organizationId: memberships[0]?.organizationId ?? '' };
}

/** Signs in with email and password (and a TOTP code when given). */
export async function login(t: Pick<TestApp, 'request'>, email: string, password = TEST_PASSWORD, extra: Record<string, string> = {}): Promise<Session> {
  const res = await t.request('POST', '/api/v1/auth/login', { body: { email, password, ...extra } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return sessionFrom(res);
}

/** Reads the session cookie and CSRF token from a setup/login response. */
export function sessionFrom(res: TestResponse): Session {
  const setCookie = res.headers['set-cookie'];
  const line = (Array.isArray(setCookie) ? setCookie : [String(setCookie ?? '')]).find((c) => c.startsWith('devflow_session='));
  const cookie = line?.split(';')[0]?.split('=')[1];
  if (!cookie) throw new Error('no session cookie in response');
  const user = res.json.user as { id: string };
  return { cookie, csrfToken: String(res.json.csrfToken), userId: user.id };
}

/**
 * Adds a user with `role` to the owner's organization (through the invitation
 * flow, as a person would) and signs them in.
 */
export async function addMember(
  t: TestApp,
  owner: Session & { organizationId: string },
  email: string,
  role: 'owner' | 'admin' | 'developer' | 'viewer',
): Promise<Session> {
  const inv = await t.request('POST', `/api/v1/organizations/${owner.organizationId}/invitations`, { session: owner, body: { email, role } });
  if (inv.status !== 201) throw new Error(`invite failed: ${inv.status} ${inv.text}`);
  const token = String(inv.json.url).split('#')[1];
  const acc = await t.request('POST', '/api/v1/invitations/accept', { body: { token, name: email.split('@')[0], password: TEST_PASSWORD } });
  if (acc.status !== 200) throw new Error(`accept failed: ${acc.status} ${acc.text}`);
  return login(t, email);
}

/** Creates an API token for a session with the given abilities. */
export async function createToken(t: TestApp, session: Session, abilities: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.request('POST', '/api/v1/tokens', { session, body: { name: `t-${abilities.join('-')}`, abilities, ...extra } });
  if (res.status !== 201) throw new Error(`token failed: ${res.status} ${res.text}`);
  return String(res.json.token);
}

/** The allowance tests give the outbound guard: their Git, DNS and HTTP services listen on loopback. */
export const ALLOW_LOOPBACK_ENV = { DEVFLOW_OUTBOUND_ALLOW: '127.0.0.0/8,::1/128' } as const;

/**
 * The allowance of tests that check lab servers over HTTP(S) (domain verification,
 * certificate checks): loopback, and Docker's bridge networks (172.16.0.0/12),
 * where the lab containers have their addresses — a private network the test
 * installation names, as a self-hosted one would name its own.
 */
export const ALLOW_LAB_ENV = { DEVFLOW_OUTBOUND_ALLOW: `${ALLOW_LOOPBACK_ENV.DEVFLOW_OUTBOUND_ALLOW},172.16.0.0/12` } as const;

/** An outbound guard that lets tests reach loopback services (and refuses every other private address). */
export const LOOPBACK = OutboundGuard.fromAllowList(ALLOW_LOOPBACK_ENV.DEVFLOW_OUTBOUND_ALLOW.split(','));

/**
 * Webhook authentication as each provider documents it, in constant time:
 * GitHub `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`, Bitbucket
 * Cloud `X-Hub-Signature: sha256=<hex>`, GitLab `X-Gitlab-Token: <secret>`,
 * and DevFlow's generic signed URL (`?token=`) or body signature.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare equal-length buffers so the time does not depend on where they differ.
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}

/** `sha256=<hex>` of the body under the secret. */
export function hmacSha256Header(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when a `sha256=<hex>` header signs the raw body with the secret (GitHub, Bitbucket, generic). */
export function verifySha256Signature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-fA-F]{64}$/.test(header.trim())) return false;
  return safeEqual(hmacSha256Header(secret, body), header.trim().toLowerCase());
}

/** True when GitLab's X-Gitlab-Token equals the secret. */
export function verifyGitlabToken(secret: string, header: string | undefined): boolean {
  if (!header) return false;
  return safeEqual(secret, header);
}

/** The token of an environment's generic signed URL: an HMAC of its id, so the secret itself never appears in URLs. */
export function genericUrlToken(secret: string, environmentId: string): string {
  return createHmac('sha256', secret).update(`devflow-generic-hook:${environmentId}`).digest('hex');
}

/** True when `token` is the generic URL token of the environment. */
export function verifyGenericToken(secret: string, environmentId: string, token: string | undefined): boolean {
  if (!token) return false;
  return safeEqual(genericUrlToken(secret, environmentId), token);
}

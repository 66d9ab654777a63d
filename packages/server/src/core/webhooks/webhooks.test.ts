import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { branchOfRef, parseBitbucket, parseGeneric, parseGithub, parseGitlab } from './payloads.js';
import { genericUrlToken, hmacSha256Header, verifyGenericToken, verifyGitlabToken, verifySha256Signature } from './signatures.js';

const sha = 'b'.repeat(40);

describe('webhook signatures', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  it('verifies sha256=<hex HMAC> of the raw body (GitHub, Bitbucket Cloud)', () => {
    const header = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
    expect(hmacSha256Header('s3cret', body)).toBe(header);
    expect(verifySha256Signature('s3cret', body, header)).toBe(true);
    expect(verifySha256Signature('s3cret', body, header.toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    expect(verifySha256Signature('other', body, header)).toBe(false);
    expect(verifySha256Signature('s3cret', Buffer.from(`${body.toString()} `), header)).toBe(false);
    for (const bad of [undefined, '', 'sha1=abc', `sha256=${'0'.repeat(63)}`, `sha256=${'z'.repeat(64)}`]) expect(verifySha256Signature('s3cret', body, bad)).toBe(false);
  });

  it('compares the GitLab token and the generic URL token', () => {
    expect(verifyGitlabToken('tok', 'tok')).toBe(true);
    expect(verifyGitlabToken('tok', 'tok ')).toBe(false);
    expect(verifyGitlabToken('tok', undefined)).toBe(false);
    const t = genericUrlToken('s', 'env_1');
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyGenericToken('s', 'env_1', t)).toBe(true);
    expect(verifyGenericToken('s', 'env_2', t)).toBe(false);
    expect(verifyGenericToken('s', 'env_1', undefined)).toBe(false);
  });
});

describe('push payloads', () => {
  it('reads GitHub pushes, pings and deletions', () => {
    expect(parseGithub('ping', {})).toEqual({ kind: 'ping' });
    expect(parseGithub('issues', {})).toEqual({ kind: 'other', name: 'issues' });
    expect(parseGithub('push', { ref: 'refs/heads/main', after: sha, pusher: { name: 'ada' } })).toEqual({ kind: 'push', branch: 'main', commit: sha, deleted: false, pusher: 'ada' });
    expect(parseGithub('push', { ref: 'refs/heads/x', after: '0'.repeat(40), deleted: true })).toMatchObject({ deleted: true });
    expect(parseGithub('push', { ref: 'refs/tags/v1', after: sha })).toMatchObject({ branch: null });
    expect(parseGithub('push', { ref: 'refs/heads/main', after: 'not-a-sha' })).toMatchObject({ commit: null });
  });

  it('reads GitLab pushes; an all-zero after is a deletion', () => {
    expect(parseGitlab('Push Hook', { ref: 'refs/heads/main', after: sha, user_username: 'grace' })).toEqual({ kind: 'push', branch: 'main', commit: sha, deleted: false, pusher: 'grace' });
    expect(parseGitlab('Push Hook', { ref: 'refs/heads/main', after: '0'.repeat(40) })).toMatchObject({ deleted: true });
    expect(parseGitlab('Merge Request Hook', {})).toEqual({ kind: 'other', name: 'Merge Request Hook' });
  });

  it('reads Bitbucket Cloud push.changes[]: new, or old when deleted', () => {
    const change = { new: { type: 'branch', name: 'main', target: { hash: sha } }, old: null };
    expect(parseBitbucket('repo:push', { push: { changes: [change] }, actor: { nickname: 'linus' } })).toEqual({ kind: 'push', branch: 'main', commit: sha, deleted: false, pusher: 'linus' });
    expect(parseBitbucket('repo:push', { push: { changes: [{ new: null, old: { type: 'branch', name: 'gone' } }] } })).toMatchObject({ branch: 'gone', deleted: true });
    expect(parseBitbucket('repo:push', { push: { changes: [{ new: { type: 'tag', name: 'v1' }, old: null }] } })).toMatchObject({ branch: null });
    expect(parseBitbucket('repo:push', 'garbage')).toMatchObject({ kind: 'push', branch: null });
    expect(parseBitbucket('diagnostics:ping', {})).toEqual({ kind: 'ping' });
  });

  it('reads the generic body and refs', () => {
    expect(parseGeneric({})).toMatchObject({ branch: null, commit: null });
    expect(parseGeneric({ ref: 'refs/heads/dev', commit: sha })).toMatchObject({ branch: 'dev', commit: sha });
    expect(branchOfRef('refs/heads/a/b')).toBe('a/b');
    expect(branchOfRef(42)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { isValidBranchName } from '@devflow/contracts';
import { allowedProtocols, checkRepositoryUrl } from '../../src/modules/projects/repository-url.js';

describe('repository URLs', () => {
  it('accepts https, ssh (URL and scp-like) and git; local paths only when allowed', () => {
    expect(checkRepositoryUrl('https://github.com/acme/shop.git', false)).toBe('https');
    expect(checkRepositoryUrl('ssh://git@gitlab.example.test:2222/acme/shop.git', false)).toBe('ssh');
    expect(checkRepositoryUrl('git@github.com:acme/shop.git', false)).toBe('ssh');
    expect(checkRepositoryUrl('git://example.test/shop.git', false)).toBe('git');
    expect(checkRepositoryUrl('/srv/git/app.git', true)).toBe('local');
    expect(checkRepositoryUrl('file:///srv/git/app.git', true)).toBe('local');
    expect(() => checkRepositoryUrl('/srv/git/app.git', false)).toThrow(/not allowed/);
    expect(() => checkRepositoryUrl('/srv/../etc', true)).toThrow();
  });

  it('refuses transports that run commands and option-like values', () => {
    for (const url of ['ext::sh -c touch% /tmp/pwned', 'fd::3', '-oProxyCommand=touch /tmp/pwned', 'ftp://x/y', 'nope']) {
      expect(() => checkRepositoryUrl(url, true), url).toThrow();
    }
    expect(allowedProtocols(false)).toBe('https:http:ssh:git');
    expect(allowedProtocols(true).split(':')).toContain('file');
  });

  it('validates branch names like git check-ref-format --branch', () => {
    for (const ok of ['main', 'release/2.0', 'feat/$(touch${IFS}x)', 'a;b', 'ü', 'x'.repeat(255)]) expect(isValidBranchName(ok), ok).toBe(true);
    for (const bad of ['', '-x', 'a b', 'a..b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', '.a', 'a/.b', 'a.lock', 'a/', '/a', 'a//b', 'a.', 'a@{1}', '@', 'HEAD', 'a\tb', 'a\u007f', 'x'.repeat(256)]) {
      expect(isValidBranchName(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

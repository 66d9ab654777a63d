import { describe, expect, it } from 'vitest';
import { redactText } from '../../src/adapters/ssh/ssh-errors.js';
import { maskList } from '../../src/modules/deployments/deployment-log.js';
import { isSecretName, looksRandom, secretValues, shouldMaskVariable } from '../../src/core/deploy/log-mask.js';

describe('log masking of environment variables', () => {
  it('masks secret-named variables whatever their value, short ones included', () => {
    for (const [name, value] of [
      ['DB_PASSWORD', 'abc'],
      ['DB_PASS', 'root'],
      ['APP_KEY', 'base64:abc123=='],
      ['API_TOKEN', 'x1'],
      ['STRIPE_SECRET', 'sk'],
      ['SENTRY_DSN', 'https://a@b/1'],
      ['DATABASE_URL', 'mysql://u:p@db/app'],
      ['REDIS_URL', 'redis://cache:6379'],
      ['JWT_PRIVATE_KEY', '-----BEGIN'],
      ['AWS_SECRET_ACCESS_KEY', 'true'],
      ['MAIL_PASSWORD', 'production'],
      ['WP_AUTH_SALT', 'salt'],
      ['GOOGLE_CREDENTIALS', '{}'],
      ['BASIC_AUTH', 'on'],
      ['admin_pin', '1234'],
    ]) {
      expect(shouldMaskVariable(name as string, value as string), `${name}=${value}`).toBe(true);
    }
  });

  it('never masks short, common or plain values under ordinary names', () => {
    for (const [name, value] of [
      ['APP_ENV', 'production'],
      ['APP_ENV', 'staging'],
      ['DB_HOST', '127.0.0.1'],
      ['DB_HOST', 'localhost'],
      ['REDIS_HOST', '::1'],
      ['APP_DEBUG', 'true'],
      ['APP_DEBUG', 'false'],
      ['DB_PORT', '3306'],
      ['QUEUE_CONNECTION', 'database'],
      ['LOG_CHANNEL', 'stack'],
      ['DB_CONNECTION', 'mysql'],
      ['APP_NAME', 'shop'],
      ['CACHE_TTL', '3600'],
      ['TIMEOUT', '2.5'],
      ['SESSION_DRIVER', 'file'],
      ['MONKEY_ISLAND', 'abc'], // KEY only counts as a whole part of the name
    ]) {
      expect(shouldMaskVariable(name as string, value as string), `${name}=${value}`).toBe(false);
    }
  });

  it('masks any value of 8 characters or more that is not a plain value', () => {
    expect(shouldMaskVariable('APP_NAME', 'My Big Shop')).toBe(true);
    expect(shouldMaskVariable('APP_URL', 'https://shop.example.com')).toBe(true);
    expect(shouldMaskVariable('ACCOUNT', '12345678')).toBe(true); // 8 digits: could be an account number
    expect(shouldMaskVariable('X', 'abcdefgh')).toBe(true);
    expect(shouldMaskVariable('X', 'abcdefg')).toBe(false);
  });

  it('masks random-looking values and URLs with credentials under any name', () => {
    expect(looksRandom('X9fQ2k')).toBe(true);
    expect(looksRandom('shop')).toBe(false);
    expect(looksRandom('staging')).toBe(false);
    expect(shouldMaskVariable('MISC', 'X9fQ2k')).toBe(true);
    expect(shouldMaskVariable('UPSTREAM', 'http://u:pw@h')).toBe(true);
    expect(shouldMaskVariable('EMPTY', '')).toBe(false);
  });

  it('recognises secret names by word, not by accident', () => {
    expect(isSecretName('github_token')).toBe(true);
    expect(isSecretName('KEY')).toBe(true);
    expect(isSecretName('KEYBOARD_LAYOUT')).toBe(false);
    expect(isSecretName('APP_ENV')).toBe(false);
  });

  it('keeps paths and hosts readable in a log while hiding every secret', () => {
    const variables = {
      APP_ENV: 'production',
      APP_NAME: 'shop',
      DB_HOST: '127.0.0.1',
      DB_PORT: '3306',
      DB_PASSWORD: 'pw1',
      API_TOKEN: 'tok_9f8e7d6c5b4a39281706',
      APP_DESCRIPTION: 'A long description',
    };
    const secrets = maskList(secretValues(variables));
    const log = [
      'lock /srv/devflow/apps/l8/production/.lock',
      'curl http://127.0.0.1:20001/up',
      'DB_PORT=3306 DB_PASSWORD=pw1 API_TOKEN=tok_9f8e7d6c5b4a39281706',
      'APP_DESCRIPTION=A long description',
    ]
      .map((l) => redactText(l, secrets))
      .join('\n');
    expect(log).toContain('/srv/devflow/apps/l8/production/.lock');
    expect(log).toContain('http://127.0.0.1:20001/up');
    expect(log).toContain('DB_PORT=3306');
    expect(log).not.toContain('pw1');
    expect(log).not.toContain('tok_9f8e7d6c5b4a39281706');
    expect(log).not.toContain('A long description');
  });
});

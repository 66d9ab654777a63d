import { describe, expect, it } from 'vitest';
import { managedConfigOf, previewConfigPath, rateLimitSnippetPath, siteConfigPath } from '../../src/core/nginx/nginx-paths.js';
import { phpFpmBinary, phpFpmPoolPath, phpFpmServiceName, phpFpmSocketPath } from '../../src/core/php-fpm/php-fpm-paths.js';
import { renderPool, renderPoolFile, type PoolSpec } from '../../src/core/php-fpm/pool-config.js';

const spec = (over: Partial<PoolSpec> = {}): PoolSpec => ({
  id: 'env_01j9xabc',
  slug: 'shop-production',
  phpVersion: '8.2',
  user: 'shop-production',
  group: 'shop-production',
  rootDir: '/srv/devflow/shop/production',
  ...over,
});

/** `key = value` lines of a pool file (comments and the section header left out). */
function ini(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([^;[\s][^=]*?)\s*=\s*(.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe('PHP-FPM paths', () => {
  it('derives socket, pool file, service and binary from the version and slug', () => {
    expect(phpFpmSocketPath('8.2', 'shop-production')).toBe('/run/php/php8.2-fpm-devflow-shop-production.sock');
    expect(phpFpmPoolPath('8.3', 'shop-production')).toBe('/etc/php/8.3/fpm/pool.d/devflow-shop-production.conf');
    expect(phpFpmServiceName('8.2')).toBe('php8.2-fpm');
    expect(phpFpmBinary('8.2')).toBe('php-fpm8.2');
    expect(() => phpFpmPoolPath('8', 'x')).toThrow(/PHP version/);
    expect(() => phpFpmSocketPath('8.2', '../x')).toThrow(/slug/);
  });

  it('knows which files DevFlow manages, and nothing else', () => {
    expect(managedConfigOf(siteConfigPath('shop'))).toEqual({ service: 'nginx' });
    expect(managedConfigOf(previewConfigPath('shop'))).toEqual({ service: 'nginx' });
    expect(managedConfigOf(rateLimitSnippetPath('shop'))).toEqual({ service: 'nginx' });
    expect(managedConfigOf(phpFpmPoolPath('8.2', 'shop'))).toEqual({ service: 'php-fpm', phpVersion: '8.2' });
    for (const p of ['/etc/nginx/sites-enabled/default', '/etc/nginx/nginx.conf', '/etc/php/8.2/fpm/pool.d/www.conf', '/etc/passwd', '/etc/nginx/sites-enabled/devflow-x.conf/../../nginx.conf', '/etc/nginx/sites-enabled/devflow-a b.conf']) {
      expect(managedConfigOf(p)).toBeNull();
    }
  });
});

describe('renderPool', () => {
  it('gives the environment its own user, a 0660 socket for www-data and a clean environment', () => {
    const text = renderPool(spec());
    expect(text.split('\n')[0]).toBe('; Managed by DevFlow Pro: PHP-FPM pool of site env_01j9xabc (shop-production).');
    expect(text).toContain('\n[devflow-shop-production]\n');
    expect(ini(text)).toMatchObject({
      user: 'shop-production',
      group: 'shop-production',
      listen: '/run/php/php8.2-fpm-devflow-shop-production.sock',
      'listen.owner': 'www-data',
      'listen.group': 'www-data',
      'listen.mode': '0660',
      clear_env: 'yes',
      catch_workers_output: 'yes',
      slowlog: '/var/log/php8.2-fpm-devflow-shop-production.slow.log',
      request_slowlog_timeout: '5s',
      'security.limit_extensions': '.php',
      'php_admin_value[open_basedir]': '/srv/devflow/shop/production/:/tmp/',
    });
  });

  it('renders dynamic and ondemand process managers and checks their bounds', () => {
    expect(ini(renderPool(spec()))).toMatchObject({ pm: 'dynamic', 'pm.max_children': '5', 'pm.start_servers': '2', 'pm.min_spare_servers': '1', 'pm.max_spare_servers': '3', 'pm.max_requests': '500' });
    expect(ini(renderPool(spec({ pm: { mode: 'ondemand', maxChildren: 8, processIdleTimeoutSeconds: 20 } })))).toMatchObject({
      pm: 'ondemand',
      'pm.max_children': '8',
      'pm.process_idle_timeout': '20s',
    });
    expect(() => renderPool(spec({ pm: { mode: 'dynamic', maxChildren: 4, startServers: 5, minSpareServers: 1, maxSpareServers: 3 } }))).toThrow(/pm\.maxSpareServers|pm\.startServers/);
    expect(() => renderPool(spec({ pm: { mode: 'dynamic', maxChildren: 2, startServers: 1, minSpareServers: 1, maxSpareServers: 3 } }))).toThrow(/pm\.maxSpareServers/);
  });

  it('adds optional limits, sorted and de-duplicated, and no slowlog when turned off', () => {
    const text = renderPool(
      spec({ disableFunctions: ['shell_exec', 'exec', 'EXEC'], extraOpenBasedir: ['/var/lib/devflow/sessions/shop'], memoryLimitMb: 256, uploadMaxMb: 64, slowlogTimeoutSeconds: 0, listenOwner: 'nginx', listenGroup: 'nginx' }),
    );
    expect(ini(text)).toMatchObject({
      'php_admin_value[disable_functions]': 'exec,shell_exec',
      'php_admin_value[open_basedir]': '/srv/devflow/shop/production/:/var/lib/devflow/sessions/shop/:/tmp/',
      'php_admin_value[memory_limit]': '256M',
      'php_admin_value[upload_max_filesize]': '64M',
      'php_admin_value[post_max_size]': '64M',
      'listen.owner': 'nginx',
      'listen.group': 'nginx',
    });
    expect(text).not.toContain('slowlog');
    expect(renderPoolFile(spec()).path).toBe('/etc/php/8.2/fpm/pool.d/devflow-shop-production.conf');
  });

  it('leaves open_basedir out when the environment turns it off, and refuses extra paths that could split it', () => {
    const off = renderPool(spec({ openBasedir: false, extraOpenBasedir: ['/usr/share/php'] }));
    expect(ini(off)['php_admin_value[open_basedir]']).toBeUndefined();
    expect(ini(renderPool(spec({ extraOpenBasedir: ['/usr/share/php', '/usr/share/php/'] })))['php_admin_value[open_basedir]']).toBe('/srv/devflow/shop/production/:/usr/share/php/:/tmp/');
    for (const bad of ['/a:/b', 'relative', '/x\nphp_admin_value[open_basedir] = /', '/a/../etc']) {
      expect(() => renderPool(spec({ extraOpenBasedir: [bad] })), bad).toThrow(/extraOpenBasedir\.0/);
    }
  });
});

import { CommandFailedError } from '../../adapters/ssh/ssh-errors.js';
import { OPEN_BASEDIR_REFUSED } from '../../core/deploy/scripts.js';
import { NGINX_LOG_DIR, siteLogPaths } from '../../core/nginx/nginx-paths.js';
import { AppError } from '../../lib/errors.js';

/** The error logs a health check searches: the site's own (public listener) and nginx's main one (preview listener). */
export function healthCheckLogs(siteSlug: string): string[] {
  return [siteLogPaths(siteSlug).error, `${NGINX_LOG_DIR}/error.log`];
}

/**
 * A failed health check whose logs show PHP refusing a file under
 * open_basedir becomes `deployment.open_basedir_refused`, naming the file and
 * the way out; any other failure is returned unchanged.
 */
export function explainOpenBasedirRefusal(err: unknown, server: string): unknown {
  if (!(err instanceof CommandFailedError)) return err;
  const refused = [
    ...new Set(
      err.stderrTail
        .split('\n')
        .filter((l) => l.startsWith(OPEN_BASEDIR_REFUSED))
        .map((l) => l.slice(OPEN_BASEDIR_REFUSED.length).trim()),
    ),
  ];
  if (!refused.length) return err;
  return new AppError(
    'unprocessable',
    'deployment.open_basedir_refused',
    `The health check failed on ${server}: PHP refused to open ${refused.join(', ')} (open_basedir restriction in effect). ` +
      "Add its directory to the environment's openBasedirExtra, or turn openBasedir off, then deploy again.",
    { cause: err, meta: { refused } },
  );
}

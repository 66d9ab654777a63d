/** Validation of a domain's redirect settings before they are stored. Pure. */
import { AppError, type FieldError } from '../../lib/errors.js';
import { redirectTarget, requestPath } from '../nginx/config-values.js';
import type { RedirectRule } from '../nginx/site-spec.js';
import { wwwTwin } from './hostname.js';

export interface DomainRedirectSettings {
  hostname: string;
  wildcard: boolean;
  redirectTo: string | null;
  wwwRedirect: 'to-apex' | 'to-www' | null;
  redirects: readonly RedirectRule[];
}

function fieldOf(err: unknown, field: string): FieldError {
  const message = err instanceof AppError ? (err.fields[0]?.message ?? err.message) : String(err);
  return { field, message };
}

/**
 * Checks what nginx will be given: rule paths and targets (the same
 * allowlists the renderer applies), no duplicate sources, no redirect of a
 * domain to itself, and a www/apex twin only where one exists. Returns the
 * field errors (empty when valid) so the API can name each field.
 */
export function redirectProblems(s: DomainRedirectSettings): FieldError[] {
  const problems: FieldError[] = [];
  if (s.redirectTo) {
    try {
      const target = new URL(redirectTarget('redirectTo', s.redirectTo));
      if (target.hostname === s.hostname) problems.push({ field: 'body.redirectTo', message: 'a domain cannot redirect to itself.' });
    } catch (err) {
      problems.push(fieldOf(err, 'body.redirectTo'));
    }
    if (s.redirects.length) problems.push({ field: 'body.redirects', message: 'a domain that redirects everything (redirectTo) has no path rules.' });
  }
  if (s.wwwRedirect) {
    const twin = wwwTwin(s.hostname);
    if (s.wildcard || !twin) problems.push({ field: 'body.wwwRedirect', message: `${s.hostname} has no www/apex twin.` });
    else if (s.wwwRedirect === 'to-apex' && s.hostname.startsWith('www.')) problems.push({ field: 'body.wwwRedirect', message: 'to-apex needs the apex name as the domain (example.com), not www.' });
    else if (s.wwwRedirect === 'to-www' && !s.hostname.startsWith('www.')) problems.push({ field: 'body.wwwRedirect', message: 'to-www needs the www name as the domain (www.example.com).' });
  }
  const seen = new Set<string>();
  s.redirects.forEach((r, i) => {
    try {
      requestPath(`redirects.${i}.from`, r.from);
      if (seen.has(r.from)) problems.push({ field: `body.redirects.${i}.from`, message: `${r.from} has two rules.` });
      seen.add(r.from);
    } catch (err) {
      problems.push(fieldOf(err, `body.redirects.${i}.from`));
    }
    try {
      redirectTarget(`redirects.${i}.to`, r.to);
      if (r.to === r.from) problems.push({ field: `body.redirects.${i}.to`, message: 'a path cannot redirect to itself.' });
    } catch (err) {
      problems.push(fieldOf(err, `body.redirects.${i}.to`));
    }
  });
  return problems;
}

/** The name of the www/apex twin that redirects to the domain, if any. */
export function redirectingTwin(hostname: string, mode: 'to-apex' | 'to-www' | null): string | null {
  return mode ? wwwTwin(hostname) : null;
}

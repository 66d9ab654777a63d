import type { ServerFacts } from '@devflow/contracts';
import { formatBytes, formatDateTime } from '../../lib/format';

type Tools = NonNullable<ServerFacts['tools']>;

/** Installed tools as `name version` chips, and the missing ones by name. */
function toolList(tools: Tools): { installed: string[]; missing: string[] } {
  const installed: string[] = [];
  const missing: string[] = [];
  const single: [string, string | null][] = [
    ['nginx', tools.nginx],
    ['Docker', tools.docker],
    ['Composer', tools.composer],
    ['Git', tools.git],
    ['restic', tools.restic],
    ['curl', tools.curl],
    ['rsync', tools.rsync],
  ];
  for (const [name, version] of single) (version ? installed : missing).push(version ? `${name} ${version}` : name);
  if (tools.php.length) installed.push(...tools.php.map((v) => `PHP ${v}`));
  else missing.push('PHP');
  if (tools.phpFpm.length) installed.push(...tools.phpFpm.map((v) => `PHP-FPM ${v}`));
  else missing.push('PHP-FPM');
  return { installed, missing };
}

/** What the last connection check detected on the server: OS, CPUs, memory, disk, tools. */
export function FactsList({ facts }: { facts: ServerFacts }) {
  if (!facts.detectedAt) return <p className="muted">Nothing detected yet: check the connection to read the server's OS and tools.</p>;
  const tools = facts.tools ? toolList(facts.tools) : null;
  const platform = [facts.kernel && `kernel ${facts.kernel}`, facts.arch].filter(Boolean).join(', ');
  return (
    <dl className="facts">
      <div>
        <dt>Operating system</dt>
        <dd>
          {facts.os?.name ?? 'Unknown'}
          {platform && <span className="facts__sub">{platform}</span>}
        </dd>
      </div>
      <div>
        <dt>CPUs</dt>
        <dd>{facts.cpus ?? '—'}</dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd>{formatBytes(facts.memoryBytes)}</dd>
      </div>
      <div>
        <dt>Disk</dt>
        <dd>{formatBytes(facts.diskBytes)}</dd>
      </div>
      <div>
        <dt>Service manager</dt>
        <dd>{facts.serviceManager === 'service' ? 'init.d (service)' : (facts.serviceManager ?? '—')}</dd>
      </div>
      <div>
        <dt>Detected</dt>
        <dd>{formatDateTime(facts.detectedAt)}</dd>
      </div>
      <div className="facts__wide">
        <dt>Tools</dt>
        <dd>
          {tools ? (
            <>
              <span className="chips" aria-label="Installed">
                {tools.installed.map((t) => (
                  <span key={t} className="chip">
                    {t}
                  </span>
                ))}
              </span>
              {tools.missing.length > 0 && <span className="facts__sub">Not installed: {tools.missing.join(', ')}</span>}
            </>
          ) : (
            '—'
          )}
        </dd>
      </div>
    </dl>
  );
}

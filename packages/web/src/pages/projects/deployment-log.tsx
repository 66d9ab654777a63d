import { memo, useDeferredValue, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { LogLine } from '@devflow/contracts';
import { ansiClasses, parseAnsi, stripAnsi } from './ansi';
import type { LogStreamState } from './use-log-stream';

const STATE_TEXT: Record<LogStreamState, string> = { connecting: 'Connecting…', open: 'Live', retrying: 'Reconnecting…', ended: '' };

const Line = memo(function Line({ line }: { line: LogLine }) {
  const spans = parseAnsi(line.line);
  return (
    <div className={`log__line log__line--${line.stream}`} data-seq={line.seq}>
      <span className="log__step">{line.step}</span>
      <span className="log__text">
        {spans.length === 0
          ? '\u00a0'
          : spans.map((s, i) => {
              const cls = ansiClasses(s.style);
              return cls ? (
                <span key={i} className={cls}>
                  {s.text}
                </span>
              ) : (
                s.text
              );
            })}
      </span>
    </div>
  );
});

/**
 * The deployment log: ANSI colours as spans, a search filter, and autoscroll
 * that follows new lines while at the bottom and pauses when the user
 * scrolls up (a button resumes it).
 */
export function DeploymentLog({ lines, state }: { lines: readonly LogLine[]; state: LogStreamState }) {
  const box = useRef<HTMLDivElement | null>(null);
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const q = useDeferredValue(query.trim().toLowerCase());
  const shown = useMemo(() => (q ? lines.filter((l) => stripAnsi(l.line).toLowerCase().includes(q) || l.step.toLowerCase().includes(q)) : lines), [lines, q]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown, follow]);

  return (
    <div className="log log--deploy">
      <div className="log__head">
        <span className="log__title" id="deploy-log-title">
          Log
        </span>
        <span className="log__tools">
          <input
            type="search"
            className="log__search"
            placeholder="Filter lines"
            aria-label="Filter log lines"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
          {q && (
            <span className="muted" role="status">
              {shown.length} of {lines.length}
            </span>
          )}
          {!follow && (
            <button type="button" className="button button--ghost button--small" onClick={() => setFollow(true)}>
              Follow
            </button>
          )}
          {state !== 'ended' && (
            <span className={`live live--${state === 'open' ? 'open' : 'retrying'}`} data-testid="log-state">
              <span className="live__dot" aria-hidden="true" />
              {STATE_TEXT[state]}
            </span>
          )}
        </span>
      </div>
      <div
        ref={box}
        className="log__body"
        tabIndex={0}
        role="region"
        aria-labelledby="deploy-log-title"
        data-testid="deployment-log"
        onScroll={(e) => {
          const el = e.currentTarget;
          const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          if (atBottom !== follow) setFollow(atBottom);
        }}
      >
        {shown.length === 0 ? (
          <p className="log__empty">{q ? 'No line matches.' : state === 'ended' ? 'No output.' : 'Waiting for output…'}</p>
        ) : (
          shown.map((l) => <Line key={l.seq} line={l} />)
        )}
      </div>
    </div>
  );
}

import { useEffect, useLayoutEffect, useRef } from 'react';
import type { ProvisionLogLine } from '@devflow/contracts';

const MODE_TEXT = { live: 'Live', polling: 'Updating every 2 seconds', idle: '' } as const;

/**
 * The log of a run, one row per line with its step. It follows new lines
 * while scrolled to the bottom and stays put when the user scrolled up.
 * Not a live region: step changes are announced separately, once each.
 */
export function ProvisionLogView({
  lines,
  mode,
  focusFor,
}: {
  lines: readonly ProvisionLogLine[];
  mode: 'live' | 'polling' | 'idle';
  /** Takes keyboard focus whenever this changes to a value (the id of a run the user just started). */
  focusFor?: string | null;
}) {
  const box = useRef<HTMLDivElement | null>(null);
  const stick = useRef(true);

  useEffect(() => {
    if (focusFor) box.current?.focus();
  }, [focusFor]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <div className="log">
      <div className="log__head">
        <span className="log__title" id="provision-log-title">
          Log
        </span>
        {mode !== 'idle' && (
          <span className={`live live--${mode === 'live' ? 'open' : 'retrying'}`}>
            <span className="live__dot" aria-hidden="true" />
            {MODE_TEXT[mode]}
          </span>
        )}
      </div>
      <div
        ref={box}
        className="log__body"
        tabIndex={0}
        role="region"
        aria-labelledby="provision-log-title"
        data-testid="provision-log"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.length === 0 ? (
          <p className="log__empty">{mode === 'idle' ? 'No output.' : 'Waiting for output…'}</p>
        ) : (
          lines.map((l) => (
            <div key={l.seq} className={`log__line log__line--${l.stream}`}>
              <span className="log__step">{l.step}</span>
              <span className="log__text">{l.line || '\u00a0'}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}

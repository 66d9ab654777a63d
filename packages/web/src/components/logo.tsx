/** The DevFlow mark and name. */
export function Logo({ withName = true }: { withName?: boolean }) {
  return (
    <span className="logo">
      <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true">
        <rect width="64" height="64" rx="14" fill="var(--brand)" />
        <path d="M18 16h13c10 0 17 6.6 17 16s-7 16-17 16H18z" fill="none" stroke="#fff" strokeWidth="5.5" strokeLinejoin="round" />
        <path d="M26 32h14m-5-6 6 6-6 6" fill="none" stroke="#fff" strokeWidth="4.5" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      {withName && <span className="logo__name">DevFlow Pro</span>}
    </span>
  );
}

import { useEffect, useRef, type ReactNode } from 'react';
import { takeNavigationFocus } from '../router/router';

/** The page title (focused after in-app navigation) and its actions. */
export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · DevFlow Pro`;
    if (takeNavigationFocus()) heading.current?.focus();
  }, [title]);
  return (
    <header className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {description && <p className="page-header__description">{description}</p>}
      </div>
      {actions && <div className="page-header__actions">{actions}</div>}
    </header>
  );
}

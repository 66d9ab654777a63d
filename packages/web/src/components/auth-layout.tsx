import type { ReactNode } from 'react';
import { Logo } from './logo';
import { ThemeToggle } from './theme-toggle';

/** The centred card of the signed-out pages (login, first-run setup). */
export function AuthLayout({ title, intro, children, footer }: { title: string; intro?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth">
      <div className="auth__top">
        <Logo />
        <ThemeToggle />
      </div>
      <main className="auth__card" id="main">
        <h1 className="auth__title">{title}</h1>
        {intro && <div className="auth__intro">{intro}</div>}
        {children}
      </main>
      {footer && <div className="auth__footer">{footer}</div>}
    </div>
  );
}

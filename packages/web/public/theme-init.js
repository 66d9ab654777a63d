/* global localStorage, document */
// Applies the theme saved by the toggle before the first paint (no flash of the wrong theme).
try {
  const theme = localStorage.getItem('devflow.theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.setAttribute('data-theme', theme);
} catch {
  // Storage may be blocked; the system preference applies.
}

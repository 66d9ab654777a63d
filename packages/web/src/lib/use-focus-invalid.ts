import { useEffect, type RefObject } from 'react';

/**
 * After a failed submit, moves focus to the form's first invalid field so
 * keyboard and screen reader users land on the error (its message is the
 * field's description). Without invalid fields, the alert speaks instead.
 */
export function useFocusInvalid(form: RefObject<HTMLFormElement | null>, failure: unknown): void {
  useEffect(() => {
    if (!failure) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, failure]);
}

import { PageHeader } from '../../components/page-header';
import { PasswordSection } from './password-section';
import { TokensSection } from './tokens-section';
import { TwoFactorSection } from './two-factor-section';

/** The signed-in user's own security: password, two-factor authentication and API tokens. */
export function AccountPage() {
  return (
    <>
      <PageHeader title="Account" description="Your password, two-factor authentication and personal API tokens." />
      <PasswordSection />
      <TwoFactorSection />
      <TokensSection />
    </>
  );
}

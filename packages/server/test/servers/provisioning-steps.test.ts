/** The provisioning steps the server runs are the contract's list, in its order: the dashboard and CLI show that list. */
import { provisionStepNames } from '@devflow/contracts';
import { expect, it } from 'vitest';
import { PROVISION_STEPS } from '../../src/modules/servers/provisioning.steps.js';

it("runs exactly the contract's provisioning steps, in the contract's order", () => {
  expect(PROVISION_STEPS.map((s) => s.name)).toEqual([...provisionStepNames]);
});

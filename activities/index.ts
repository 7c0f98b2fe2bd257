import { createFraudActivities, type FraudActivityDeps } from './fraud-activities';
import { createGatewayActivities, type GatewayActivityDeps } from './gateway-activities';
import { createPaymentRecordActivities, type PaymentRecordActivityDeps } from './payment-record-activities';

export type ActivityDeps = FraudActivityDeps & GatewayActivityDeps & PaymentRecordActivityDeps;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createFraudActivities(deps),
    ...createGatewayActivities(deps),
    ...createPaymentRecordActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

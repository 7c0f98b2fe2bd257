import { PAYMENT_FAILURES } from '../shared/failure-types';
import { GatewayError, type AuthorizationStatus, type AuthorizeResult } from './payment-gateway';

/**
 * The answer to an authorize call from what the gateway said: a result, a decline thrown, or
 * GatewayOutcomeUnknown while the gateway has not decided, so the workflow resolves it by status sync.
 * `gateway` only names the gateway in the messages.
 */
export function authorizeResultOf(status: AuthorizationStatus, gateway: string): AuthorizeResult {
  switch (status.outcome) {
    case 'authorized':
      return { reference: status.reference, capturedMinor: 0, status: 'authorized' };
    case 'captured':
      return { reference: status.reference, capturedMinor: status.capturedMinor, status: 'captured' };
    case 'requires_action':
      return { reference: status.reference, capturedMinor: 0, status: 'requires_action', nextAction: status.nextAction };
    case 'declined':
      throw new GatewayError(status.failureType, PAYMENT_FAILURES[status.failureType].message);
    case 'canceled':
      // Canceled within its own authorization: refused before any money moved.
      throw new GatewayError('CardDeclined', `${gateway} canceled ${status.reference} while authorizing it`);
    case 'pending':
      throw new GatewayError('GatewayOutcomeUnknown', `${gateway} has not decided ${status.reference ?? 'the payment'} yet`);
    case 'not_found':
      throw new GatewayError('GatewayOutcomeUnknown', `${gateway} returned no payment`);
  }
}

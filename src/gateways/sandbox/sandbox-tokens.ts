import type { PaymentFailureType } from '../../shared/failure-types';
import type { RiskLevel } from '../payment-gateway';

/** How the sandbox treats a test token: the same tokens Stripe's test mode documents, where they overlap. */
export interface SandboxBehaviour {
  brand: 'visa' | 'mastercard' | 'amex';
  decline?: PaymentFailureType;
  /** Attempts that record the charge and then time out before answering, as a flaky network would. */
  timeoutsBeforeAnswer?: number;
  risk?: RiskLevel;
  /** Charges succeed, refunds of them fail at the gateway. */
  refundFails?: boolean;
  /** The card network opens a dispute shortly after the charge is captured. */
  disputeAfterCapture?: boolean;
  /** The issuer asks the customer to authenticate (3-D Secure) on the sandbox's challenge page before it decides. */
  requiresAuthentication?: boolean;
}

export const SANDBOX_TOKENS: Readonly<Record<string, SandboxBehaviour>> = Object.freeze({
  tok_visa: { brand: 'visa' },
  tok_mastercard: { brand: 'mastercard' },
  tok_amex: { brand: 'amex' },
  tok_chargeDeclined: { brand: 'visa', decline: 'CardDeclined' },
  tok_insufficient_funds: { brand: 'visa', decline: 'InsufficientFunds' },
  tok_expired_card: { brand: 'visa', decline: 'ExpiredCard' },
  tok_gateway_timeout: { brand: 'visa', timeoutsBeforeAnswer: 2 },
  tok_risk_highest: { brand: 'visa', risk: 'highest' },
  tok_risk_elevated: { brand: 'visa', risk: 'elevated' },
  tok_refund_fails: { brand: 'visa', refundFails: true },
  tok_createDispute: { brand: 'visa', disputeAfterCapture: true },
  tok_threeDSecure2Required: { brand: 'visa', requiresAuthentication: true },
  // Stripe's 3-D Secure 1 name for the same behaviour: the sandbox's challenge is the same page.
  tok_threeDSecureRequired: { brand: 'visa', requiresAuthentication: true },
});

export function sandboxBehaviour(source: string): SandboxBehaviour | undefined {
  return Object.prototype.hasOwnProperty.call(SANDBOX_TOKENS, source) ? SANDBOX_TOKENS[source] : undefined;
}

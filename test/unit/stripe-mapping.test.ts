import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/gateways/payment-gateway';
import {
  authorizationStatusOf,
  classifyStripeError,
  declineFailureType,
  nextActionOf,
  scrubSecrets,
  STRIPE_DECLINE_TABLE,
  STRIPE_ERROR_CLASS_TABLE,
  STRIPE_INVALID_REQUEST_TABLE,
  STRIPE_STATUS_TABLE,
  type StripeOperation,
} from '../../src/gateways/stripe/stripe-mapping';
import { PAYMENT_FAILURES, isPaymentFailureType } from '../../src/shared/failure-types';
import { authorizeResultOf as authorizeResultFor } from '../../src/gateways/authorization-results';

const authorizeResultOf = (status: Parameters<typeof authorizeResultFor>[0]) => authorizeResultFor(status, 'Stripe');

const OPERATIONS: StripeOperation[] = ['authorize', 'capture', 'void', 'refund', 'lookup'];

describe('Stripe decline table', () => {
  it('maps only onto failure types we know', () => {
    for (const type of Object.values(STRIPE_DECLINE_TABLE)) expect(isPaymentFailureType(type)).toBe(true);
    for (const rule of STRIPE_INVALID_REQUEST_TABLE) expect(isPaymentFailureType(rule.failureType)).toBe(true);
  });

  it.each(Object.entries(STRIPE_DECLINE_TABLE))('a card error with decline_code %s is %s', (code, type) => {
    // A real SDK error, built the way the SDK builds it from a 402 body.
    const error = new Stripe.errors.StripeCardError({ type: 'card_error', code: 'card_declined', decline_code: code, message: 'declined' });
    expect(classifyStripeError(error, 'authorize')).toEqual({ kind: 'failed', failureType: type, message: PAYMENT_FAILURES[type].message });
  });

  it.each(Object.entries(STRIPE_DECLINE_TABLE))('a card error with code %s and no decline code is %s', (code, type) => {
    expect(declineFailureType({ code })).toBe(type);
  });

  it('classes the documented declines as the issue asks', () => {
    expect(declineFailureType({ code: 'card_declined', decline_code: 'generic_decline' })).toBe('CardDeclined');
    expect(declineFailureType({ code: 'card_declined', decline_code: 'insufficient_funds' })).toBe('InsufficientFunds');
    for (const code of ['lost_card', 'stolen_card', 'pickup_card', 'fraudulent'])
      expect(declineFailureType({ code: 'card_declined', decline_code: code })).toBe('LostOrStolenCard');
    expect(declineFailureType({ code: 'expired_card' })).toBe('ExpiredCard');
    expect(declineFailureType({ code: 'incorrect_cvc' })).toBe('IncorrectCvc');
    expect(declineFailureType({ code: 'processing_error' })).toBe('ProcessingError');
    for (const code of ['try_again_later', 'issuer_not_available', 'reenter_transaction', 'approve_with_id'])
      expect(declineFailureType({ code: 'card_declined', decline_code: code })).toBe('TryAgainLater');
  });

  it('never shows a fraud suspicion: lost, stolen and fraudulent cards read as a plain decline', () => {
    expect(PAYMENT_FAILURES[declineFailureType({ decline_code: 'fraudulent' })].code).toBe('card_declined');
    expect(PAYMENT_FAILURES[declineFailureType({ decline_code: 'fraudulent' })].message).toBe(PAYMENT_FAILURES.CardDeclined.message);
  });

  it('treats an unknown decline code as a plain, hard decline', () => {
    expect(declineFailureType({ code: 'card_declined', decline_code: 'something_new' })).toBe('CardDeclined');
    expect(declineFailureType({})).toBe('CardDeclined');
  });

  it('lets the advice do_not_try_again turn every soft decline hard, and leaves hard ones as they are', () => {
    for (const [code, type] of Object.entries(STRIPE_DECLINE_TABLE)) {
      const advised = declineFailureType({ code: 'card_declined', decline_code: code, advice_code: 'do_not_try_again' });
      const soft = PAYMENT_FAILURES[type].retryable || 'retryElsewhere' in PAYMENT_FAILURES[type];
      expect(advised).toBe(soft ? 'CardDeclined' : type);
      const info: { retryable: boolean; retryElsewhere?: boolean } = PAYMENT_FAILURES[advised];
      expect(info.retryable || info.retryElsewhere === true).toBe(false);
    }
  });
});

describe('Stripe error classes', () => {
  it.each(Object.entries(STRIPE_ERROR_CLASS_TABLE))('%s means %s for every operation', (type, meaning) => {
    const ErrorClass = (Stripe.errors as unknown as Record<string, new (raw: object) => Error>)[type];
    const error = new ErrorClass({ message: 'nope', statusCode: 500 });
    for (const operation of OPERATIONS) {
      const outcome = classifyStripeError(error, operation);
      if (meaning === 'unknown') expect(outcome.kind).toBe('unknown');
      else expect(outcome).toMatchObject({ kind: 'failed', failureType: meaning });
    }
  });

  it('reads a timeout as an unknown outcome', () => {
    const error = new Stripe.errors.StripeConnectionError({ message: 'Request aborted due to timeout being reached (10000ms)' });
    expect(classifyStripeError(error, 'authorize').kind).toBe('unknown');
  });

  it('reads a concurrent request under the same key as an unknown outcome', () => {
    const error = new Stripe.errors.StripeInvalidRequestError({ code: 'idempotency_key_in_use', message: 'in use' });
    expect(classifyStripeError(error, 'capture').kind).toBe('unknown');
  });

  it('maps invalid requests with a business meaning, only for their operation', () => {
    for (const rule of STRIPE_INVALID_REQUEST_TABLE) {
      const error = new Stripe.errors.StripeInvalidRequestError({ code: rule.code, param: rule.param, message: 'refused' });
      expect(classifyStripeError(error, rule.operation)).toMatchObject({ kind: 'failed', failureType: rule.failureType });
      for (const other of OPERATIONS.filter(
        (operation) => !STRIPE_INVALID_REQUEST_TABLE.some((r) => r.operation === operation && r.code === rule.code),
      ))
        expect(classifyStripeError(error, other)).toMatchObject({ kind: 'failed', failureType: 'GatewayMisconfigured' });
    }
  });

  it('names capture of a released authorization and refunds of more than is left as the issue asks', () => {
    const invalid = (code: string) => new Stripe.errors.StripeInvalidRequestError({ code, message: 'refused' });
    expect(classifyStripeError(invalid('payment_intent_unexpected_state'), 'capture')).toMatchObject({
      failureType: 'AuthorizationExpired',
    });
    expect(classifyStripeError(invalid('amount_too_large'), 'refund')).toMatchObject({ failureType: 'RefundExceedsAvailable' });
    expect(classifyStripeError(invalid('charge_already_refunded'), 'refund')).toMatchObject({ failureType: 'RefundExceedsAvailable' });
    expect(classifyStripeError(invalid('parameter_unknown'), 'authorize')).toMatchObject({ failureType: 'GatewayMisconfigured' });
  });

  it('reads a missing PaymentMethod as a bad source only when the payment_method parameter is the one missing', () => {
    const missing = (param: string) =>
      new Stripe.errors.StripeInvalidRequestError({ code: 'resource_missing', param, message: 'No such thing' });
    expect(classifyStripeError(missing('payment_method'), 'authorize')).toMatchObject({ failureType: 'InvalidSource' });
    expect(classifyStripeError(missing('intent'), 'authorize')).toMatchObject({ failureType: 'GatewayMisconfigured' });
  });

  it('reads an SDK refusal that never reached Stripe as a misconfiguration', () => {
    expect(classifyStripeError(new Error('Stripe: Unknown arguments'), 'capture')).toMatchObject({
      kind: 'failed',
      failureType: 'GatewayMisconfigured',
    });
  });

  it('keeps keys and card numbers out of every message', () => {
    const error = new Stripe.errors.StripeAuthenticationError({
      message: "Authorization was 'Bearer sk_live_abcdefgh12345678' for 4242 4242 4242 4242",
    });
    const { message } = classifyStripeError(error, 'authorize');
    expect(message).not.toContain('abcdefgh');
    expect(message).not.toMatch(/4242 4242/);
    expect(message).toContain('sk_live_…5678');
  });
});

describe('PaymentIntent statuses', () => {
  const intent = (status: string, extra: object = {}) => ({ id: 'pi_1', status, amount_received: 0, ...extra });

  it.each(Object.keys(STRIPE_STATUS_TABLE))('maps %s', (status) => {
    const result = authorizationStatusOf(intent(status, status === 'succeeded' ? { amount_received: 700 } : {}));
    const expected = {
      requires_capture: { outcome: 'authorized', reference: 'pi_1', capturedMinor: 0 },
      succeeded: { outcome: 'captured', reference: 'pi_1', capturedMinor: 700 },
      requires_action: { outcome: 'requires_action', reference: 'pi_1', nextAction: { type: 'use_gateway_sdk', url: null } },
      canceled: { outcome: 'canceled', reference: 'pi_1' },
      requires_payment_method: { outcome: 'pending', reference: 'pi_1' },
      requires_confirmation: { outcome: 'pending', reference: 'pi_1' },
      processing: { outcome: 'pending', reference: 'pi_1' },
    }[status];
    expect(result).toEqual(expected);
  });

  it('reads requires_payment_method after a failed attempt as the decline it was', () => {
    const failed = intent('requires_payment_method', {
      last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'stolen_card' },
    });
    expect(authorizationStatusOf(failed)).toEqual({ outcome: 'declined', reference: 'pi_1', failureType: 'LostOrStolenCard' });
    const unauthenticated = intent('requires_payment_method', {
      last_payment_error: { type: 'invalid_request_error', code: 'payment_intent_authentication_failure' },
    });
    expect(authorizationStatusOf(unauthenticated)).toMatchObject({ outcome: 'declined', failureType: 'AuthenticationFailed' });
  });

  it('reads a status Stripe may add later as pending', () => {
    expect(authorizationStatusOf(intent('requires_something_new'))).toEqual({ outcome: 'pending', reference: 'pi_1' });
  });

  it('points a redirect at its page and anything else at the SDK', () => {
    expect(nextActionOf({ next_action: { type: 'redirect_to_url', redirect_to_url: { url: 'https://hooks.stripe.com/3ds' } } })).toEqual({
      type: 'redirect_to_url',
      url: 'https://hooks.stripe.com/3ds',
    });
    expect(nextActionOf({ next_action: { type: 'use_stripe_sdk' } })).toEqual({ type: 'use_gateway_sdk', url: null });
    expect(nextActionOf({ next_action: null })).toEqual({ type: 'use_gateway_sdk', url: null });
  });

  it('turns each status into an authorize answer', () => {
    expect(authorizeResultOf({ outcome: 'authorized', reference: 'pi_1', capturedMinor: 0 })).toEqual({
      reference: 'pi_1',
      capturedMinor: 0,
      status: 'authorized',
    });
    expect(authorizeResultOf({ outcome: 'captured', reference: 'pi_1', capturedMinor: 500 })).toEqual({
      reference: 'pi_1',
      capturedMinor: 500,
      status: 'captured',
    });
    const nextAction = { type: 'redirect_to_url' as const, url: 'https://example.com' };
    expect(authorizeResultOf({ outcome: 'requires_action', reference: 'pi_1', nextAction })).toEqual({
      reference: 'pi_1',
      capturedMinor: 0,
      status: 'requires_action',
      nextAction,
    });
    const thrown = (status: Parameters<typeof authorizeResultOf>[0]) => {
      try {
        authorizeResultOf(status);
      } catch (error) {
        return (error as GatewayError).failureType;
      }
      return undefined;
    };
    expect(thrown({ outcome: 'declined', reference: 'pi_1', failureType: 'InsufficientFunds' })).toBe('InsufficientFunds');
    expect(thrown({ outcome: 'canceled', reference: 'pi_1' })).toBe('CardDeclined');
    expect(thrown({ outcome: 'pending', reference: 'pi_1' })).toBe('GatewayOutcomeUnknown');
    expect(thrown({ outcome: 'not_found' })).toBe('GatewayOutcomeUnknown');
  });
});

describe('scrubSecrets', () => {
  it('masks API keys, signing secrets and card numbers', () => {
    expect(scrubSecrets('key sk_test_abcdefghijkl1234 and rk_live_zz')).toBe('key sk_test_…1234 and rk_live_…');
    expect(scrubSecrets('secret whsec_abcdefgh9999')).toBe('secret whsec_…9999');
    expect(scrubSecrets('card 4000-0000-0000-0002 here')).toBe('card [number removed] here');
    expect(scrubSecrets('amount 1099 at 1234567890')).toBe('amount 1099 at 1234567890');
  });
});

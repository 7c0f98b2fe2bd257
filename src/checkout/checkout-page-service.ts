import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { MerchantRepository } from '../merchants/merchant-repository';
import type { RateLimiter } from '../api/rate-limiter';
import { PAYMENT_FAILURES } from '../shared/failure-types';
import { isWorkflowGone, temporalUnavailable, updateFailureType } from '../temporal/temporal-errors';
import { validateCard, type CardInput } from '../vault/card-validation';
import type { CardVault } from '../vault/card-vault';
import { submitCheckoutCardUpdate } from '../../workflows/checkout-workflow';
import type { CheckoutSessionRecord } from './checkout-record';
import { CheckoutRepository } from './checkout-repository';
import type { CheckoutService } from './checkout-service';
import { signedRedirectUrl } from './checkout-signature';
import { checkoutWorkflowId, type CheckoutState } from './checkout-state';
import type { CheckoutField } from './checkout-page';

export interface CheckoutPageServiceDeps {
  orm: MikroORM;
  temporal: Client;
  vault: CardVault;
  checkout: CheckoutService;
  /** How long the page waits for an attempt's first decision before it shows "processing" and refreshes. */
  syncWaitMs: number;
  /** Card submissions per client address, across all sessions: card testing through many pages. */
  submissionsPerAddress: RateLimiter;
}

export type SubmitOutcome =
  | { kind: 'invalid'; field: CheckoutField; message: string }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'exhausted' }
  | { kind: 'submitted'; state: CheckoutState | undefined };

const FIELD_OF_PARAM: Record<string, CheckoutField> = {
  'card[number]': 'card_number',
  'card[exp_month]': 'card_expiry',
  'card[exp_year]': 'card_expiry',
  'card[cvc]': 'card_cvc',
};

// Failures whose own wording would tell a card tester how our rules work: the customer is told the card was declined.
const UNEXPLAINED_FAILURES = new Set(['fraud_blocked', 'review_declined', 'review_timeout', 'payment_refused', 'invalid_source']);

/** What the customer reads about a failed attempt. */
export function customerFailureMessage(failureCode: string | null, failureMessage: string | null): string {
  if (!failureCode || UNEXPLAINED_FAILURES.has(failureCode) || !failureMessage) return PAYMENT_FAILURES.CardDeclined.message;
  return failureMessage;
}

/** Parses "MM / YY", "MM/YYYY" or "MMYY" into month and year; null when it is none of those. */
export function parseExpiry(text: string): { expMonth: number; expYear: number } | null {
  const match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(text);
  if (!match) return null;
  const year = Number(match[2]);
  return { expMonth: Number(match[1]), expYear: match[2].length === 2 ? 2000 + year : year };
}

/** The hosted page's side of a checkout session: what the customer's browser may see and do, by session id alone. */
export class CheckoutPageService {
  constructor(private readonly deps: CheckoutPageServiceDeps) {}

  async find(sessionId: string): Promise<{ session: CheckoutSessionRecord; merchant: Merchant } | null> {
    const session = await new CheckoutRepository(sqlFor(this.deps.orm.em.fork())).find(sessionId);
    if (!session) return null;
    const merchant = await new MerchantRepository(this.deps.orm.em.fork()).findById(session.merchantId);
    return merchant ? { session, merchant } : null;
  }

  /** A new browser binding: the cookie's value. */
  newFormNonce(): string {
    return randomBytes(32).toString('base64url');
  }

  /** The form's CSRF token for the browser holding `nonce`: only a page served to that browser carries it. */
  csrfToken(session: CheckoutSessionRecord, nonce: string): string {
    return createHmac('sha256', session.formSecret).update(`${session.id}:${nonce}`).digest('base64url');
  }

  checkCsrf(session: CheckoutSessionRecord, nonce: string | undefined, token: string | null): boolean {
    if (!nonce || !token) return false;
    const expected = Buffer.from(this.csrfToken(session, nonce));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * Checks the card's fields, puts it in the vault and hands the token to the session's workflow, which starts
   * at most one payment at a time. Answers once the attempt is decided, or undefined state after the wait.
   */
  async submit(
    found: { session: CheckoutSessionRecord; merchant: Merchant },
    form: { number: string; expiry: string; cvc: string },
    clientAddress: string,
  ): Promise<SubmitOutcome> {
    const limit = this.deps.submissionsPerAddress.take(`checkout:${clientAddress}`);
    if (!limit.allowed) return { kind: 'rate_limited', retryAfterSeconds: limit.retryAfterSeconds };
    const expiry = parseExpiry(form.expiry);
    if (!expiry) return { kind: 'invalid', field: 'card_expiry', message: 'Enter the expiry date as MM / YY.' };
    const card: CardInput = { number: form.number, expMonth: expiry.expMonth, expYear: expiry.expYear, cvc: form.cvc };
    const checked = validateCard(card, new Date());
    if (!checked.ok) return { kind: 'invalid', field: FIELD_OF_PARAM[checked.problem.param], message: checked.problem.message };
    const token = await this.deps.vault.tokenize(found.merchant, card);
    const handle = this.deps.temporal.workflow.getHandle(checkoutWorkflowId(found.session.id));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.deps.syncWaitMs);
    try {
      const state = await this.deps.temporal.withAbortSignal(controller.signal, () =>
        handle.executeUpdate(submitCheckoutCardUpdate, { args: [{ source: token.id }] }),
      );
      return { kind: 'submitted', state };
    } catch (error) {
      if (controller.signal.aborted || isWorkflowGone(error)) return { kind: 'submitted', state: undefined };
      if (updateFailureType(error)?.type === 'CheckoutAttemptsExhausted') return { kind: 'exhausted' };
      throw temporalUnavailable(error) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits (at most the page's wait) until the session's record changes from `version`; answers the record then. */
  async waitForChange(sessionId: string, version: number): Promise<CheckoutSessionRecord | null> {
    const deadline = Date.now() + this.deps.syncWaitMs;
    for (;;) {
      const session = await new CheckoutRepository(sqlFor(this.deps.orm.em.fork())).find(sessionId);
      if (!session || session.version !== version || Date.now() >= deadline) return session;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Where the customer goes back to the merchant: success_url or cancel_url, with the outcome signed. */
  async redirectUrl(found: { session: CheckoutSessionRecord; merchant: Merchant }, to: 'success' | 'cancel'): Promise<string> {
    const { session } = found;
    const { signing_secret: secret } = await this.deps.checkout.signingSecret(found.merchant);
    return signedRedirectUrl(
      to === 'success' ? session.successUrl : session.cancelUrl,
      {
        session_id: session.id,
        payment_id: session.paymentId ?? '',
        payment_status: session.paymentStatus,
        provider_payment_id: session.payment?.gatewayReference ?? '',
      },
      secret,
    );
  }
}

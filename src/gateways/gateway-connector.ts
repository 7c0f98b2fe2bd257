import type { PaymentGateway } from './payment-gateway';
import type { PayoutNetwork } from '../payouts/payout-network';

/** The gateways a merchant can connect an account of. */
export const GATEWAY_NAMES = ['sandbox', 'stripe', 'adyen'] as const;
export type GatewayName = (typeof GATEWAY_NAMES)[number];

/** One credential problem, naming the field (`credentials.secret_key`) so the API's 400 can too. */
export interface CredentialProblem {
  param: string;
  message: string;
}

export type ParsedCredentials =
  | {
      ok: true;
      /** What the adapter needs, stored only encrypted. */
      credentials: Record<string, string>;
      /** The part of the main credential shown back to the merchant (its last 4 characters). */
      last4: string;
    }
  | { ok: false; missing: string[]; problems: CredentialProblem[] };

/**
 * A gateway we can connect merchants' accounts to: how its credentials look and are verified, and
 * how an adapter is bound to one account. Adapters are stateless; credentials enter them by account
 * id inside an activity and leave only as the gateway's answer.
 */
export interface GatewayConnector {
  readonly name: GatewayName;
  /** Which sources the connector can charge (e.g. `pm_…` for Stripe), checked before a payment starts. */
  recognizesSource(source: string): boolean;
  /** Checks the credentials' shape and mode; every missing key is listed at once. */
  parseCredentials(raw: Record<string, unknown>, livemode: boolean): ParsedCredentials;
  /** One harmless call that proves the credentials work; throws CredentialsRejectedError with the gateway's reason. */
  verifyCredentials(credentials: Record<string, string>): Promise<void>;
  /** An adapter bound to one account's credentials (async, so a connector may load its vendor library on first use). */
  adapterFor(account: { id: string; livemode: boolean; credentials: Record<string, string> }): PaymentGateway | Promise<PaymentGateway>;
  /** Payouts from one account's balance to its own bank account, for gateways that pay out (Stripe); absent otherwise. */
  payoutNetworkFor?(account: { id: string; livemode: boolean; credentials: Record<string, string> }): Promise<PayoutNetwork>;
}

/** The gateway refused the credentials; `reason` is the gateway's own words, never the credential. */
export class CredentialsRejectedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'CredentialsRejectedError';
  }
}

import type { FaultPlan } from './chaos-faults';
import type { FakeRandomFaultRates } from '../src/gateways/stripe/stripe-fake';

export interface ChaosProfile {
  name: string;
  loadSeconds: number;
  /** Merchant systems sending requests at once. */
  concurrency: number;
  merchants: number;
  workers: number;
  faults: Omit<FaultPlan, 'gatewayTopUpAfterMs'>;
  /** SANDBOX_FAULTS for the workers: per-call probabilities of each gateway fault. */
  sandboxFaults: string;
  /** Merchants paying through a Stripe account at the Stripe fake, beside the sandbox's `merchants`. */
  stripeMerchants: number;
  /** The share of the load's scenarios that are the Stripe merchants'. */
  stripeShare: number;
  /** The Stripe fake's random faults: per-request probabilities (no `operations`: payouts' create, retrieve, list and cancel included). */
  stripeFaults: FakeRandomFaultRates;
  /** Merchants with an Adyen account at the Adyen fake and a sandbox account as fallback. */
  adyenMerchants: number;
  /** The share of the load's scenarios that are the Adyen merchants'. */
  adyenShare: number;
  /** Fractions of the load between which the Adyen fake refuses every connection. */
  adyenOutage: [number, number];
  /** How often one Adyen fault (a request fault or a notification mishap) is drawn. */
  adyenFaultEveryMs: [number, number];
  /** How often (between the bounds) the sandbox merchants' finance system runs a payout scenario, beside the payment loops (the Stripe merchants' too). */
  payoutEveryMs: [number, number];
  healTimeoutMs: number;
  seed: number;
}

export const PROFILES: Record<'short' | 'long', Omit<ChaosProfile, 'seed'>> = {
  // In npm test: every fault kind at least once, about three minutes in all.
  short: {
    name: 'short',
    loadSeconds: 60,
    concurrency: 8,
    merchants: 2,
    workers: 2,
    faults: { outageEveryMs: [2_000, 5_000], workerKillEveryMs: [7_000, 12_000], workerDownMs: [500, 3_000] },
    sandboxFaults: 'timeout_after_charge:0.08,unavailable:0.01,slow:0.1',
    stripeMerchants: 1,
    stripeShare: 0.25,
    stripeFaults: { loseAnswer: 0.03, truncateAnswer: 0.02, http500: 0.03, rateLimit: 0.03 },
    adyenMerchants: 1,
    adyenShare: 0.3,
    // Late, so every Adyen scenario and fault kind has met Adyen first: the account cools down after its outage (the rest goes to the fallback).
    adyenOutage: [0.6, 0.8],
    adyenFaultEveryMs: [1_500, 4_000],
    payoutEveryMs: [1_500, 3_000],
    healTimeoutMs: 240_000,
  },
  long: {
    name: 'long',
    loadSeconds: 600,
    concurrency: 12,
    merchants: 4,
    workers: 2,
    faults: { outageEveryMs: [10_000, 25_000], workerKillEveryMs: [8_000, 20_000], workerDownMs: [500, 5_000] },
    sandboxFaults: 'timeout_after_charge:0.05,unavailable:0.005,slow:0.05',
    stripeMerchants: 1,
    stripeShare: 0.2,
    stripeFaults: { loseAnswer: 0.02, truncateAnswer: 0.01, http500: 0.02, rateLimit: 0.02 },
    adyenMerchants: 1,
    adyenShare: 0.2,
    adyenOutage: [0.4, 0.6],
    adyenFaultEveryMs: [3_000, 8_000],
    payoutEveryMs: [3_000, 6_000],
    healTimeoutMs: 300_000,
  },
};

import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { RoutingDecision } from '../routing/routing-rules';
import type { HoldReason, PaymentAttempt, PaymentNextAction, PaymentStatus } from './payment-state';

/** A payment as stored: the read model the API serves, written by the payment workflow's activities. */
export interface PaymentRecord {
  id: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  status: PaymentStatus;
  captureMethod: 'automatic' | 'manual';
  source: string;
  description?: string | null;
  metadata: Record<string, string>;
  amountCapturableMinor: number;
  amountCapturedMinor: number;
  amountRefundedMinor: number;
  feeMinor: number;
  gateway: string;
  gatewayReference?: string | null;
  failureCode?: string | null;
  failureMessage?: string | null;
  cancellationReason?: string | null;
  createdAt: Date;
  updatedAt: Date;
  authorizationExpiresAt?: Date | null;
  capturedAt?: Date | null;
  canceledAt?: Date | null;
  /** The merchant's gateway account the payment went through; null for the built-in sandbox. */
  gatewayAccountId?: string | null;
  nextAction?: PaymentNextAction | null;
  holdReason?: HoldReason | null;
  /** Authorization attempts, for a payment that could fail over between accounts; null otherwise. */
  attempts?: PaymentAttempt[] | null;
  /** The routing decision the payment was created with; null for a named account, the built-in sandbox and older payments. */
  routing?: RoutingDecision | null;
}

const money = () => ({ type: new BigIntType('number') });

export const PaymentEntity = new EntitySchema<PaymentRecord>({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    id: { type: 'string', primary: true },
    merchantId: { type: 'string' },
    amountMinor: money(),
    currency: { type: 'string' },
    status: { type: 'string' },
    captureMethod: { type: 'string' },
    source: { type: 'string' },
    description: { type: 'string', nullable: true },
    metadata: { type: 'json' },
    amountCapturableMinor: money(),
    amountCapturedMinor: money(),
    amountRefundedMinor: money(),
    feeMinor: money(),
    gateway: { type: 'string' },
    gatewayReference: { type: 'string', nullable: true },
    failureCode: { type: 'string', nullable: true },
    failureMessage: { type: 'string', nullable: true },
    cancellationReason: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    authorizationExpiresAt: { type: 'Date', nullable: true },
    capturedAt: { type: 'Date', nullable: true },
    canceledAt: { type: 'Date', nullable: true },
    gatewayAccountId: { type: 'string', nullable: true },
    nextAction: { type: 'json', nullable: true },
    holdReason: { type: 'string', nullable: true },
    attempts: { type: 'json', nullable: true },
    routing: { type: 'json', nullable: true },
  },
});

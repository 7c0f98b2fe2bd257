/** One operation as the sandbox gateway's own books (`sandbox_gateway_operations`) keep it: one row per idempotency key. */
export interface SandboxGatewayOperationRow {
  id: string;
  outcome: string;
  attempts: number;
  amount_minor: string;
  authorization_id: string | null;
  /** Set on an authorization that asked the customer to authenticate: its challenge page's id. */
  challenge_id: string | null;
}

/** An operation to record; `authorizationId` names the authorization a capture, void or refund acts on. */
export interface NewSandboxGatewayOperation {
  idempotencyKey: string;
  operation: 'authorize' | 'capture' | 'void' | 'refund';
  authorizationId: string | null;
  source: string | null;
  amountMinor: number;
  currency: string;
  outcome: string;
  /** An authorization waiting for the customer's authentication (outcome `requires_action`) carries its challenge. */
  challenge?: NewSandboxChallenge;
}

/** The 3-D Secure challenge of an authorization, kept with it. */
export interface NewSandboxChallenge {
  id: string;
  csrfToken: string;
  paymentId: string;
  returnUrl: string | null;
  /** A sale: a passed challenge captures at once. */
  sale: boolean;
}

/** An authorization with a challenge, as the challenge page and its form need it. */
export interface SandboxChallengeRow {
  /** The authorization's id (the gateway reference the payment holds). */
  id: string;
  challenge_id: string;
  challenge_csrf: string;
  payment_id: string;
  return_url: string | null;
  sale: boolean;
  amount_minor: string;
  currency: string;
  outcome: string;
  voided: boolean;
}

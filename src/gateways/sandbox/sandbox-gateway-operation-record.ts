/** One operation as the sandbox gateway's own books (`sandbox_gateway_operations`) keep it: one row per idempotency key. */
export interface SandboxGatewayOperationRow {
  id: string;
  outcome: string;
  attempts: number;
  amount_minor: string;
  authorization_id: string | null;
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
}

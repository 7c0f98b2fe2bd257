import type { Sql } from '../../db/sql';
import { newId } from '../../shared/ids';
import type { NewSandboxGatewayOperation, SandboxChallengeRow, SandboxGatewayOperationRow } from './sandbox-gateway-operation-record';

/** Every read and write of the sandbox gateway's own books, `sandbox_gateway_operations`. */
export class SandboxGatewayOperationRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the operation, or counts one more attempt at an existing key and returns the original row. */
  async insertOrCountAttempt(operation: NewSandboxGatewayOperation): Promise<SandboxGatewayOperationRow> {
    const rows = await this.sql.query<SandboxGatewayOperationRow>(
      `insert into sandbox_gateway_operations (id, idempotency_key, operation, authorization_id, source, amount_minor, currency, outcome,
                                               challenge_id, challenge_csrf, payment_id, return_url, sale)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (idempotency_key) do update set attempts = sandbox_gateway_operations.attempts + 1
       returning id, outcome, attempts, amount_minor, authorization_id, challenge_id`,
      [
        newId('ch'),
        operation.idempotencyKey,
        operation.operation,
        operation.authorizationId,
        operation.source,
        operation.amountMinor,
        operation.currency,
        operation.outcome,
        operation.challenge?.id ?? null,
        operation.challenge?.csrfToken ?? null,
        operation.challenge?.paymentId ?? null,
        operation.challenge?.returnUrl ?? null,
        operation.challenge?.sale ?? null,
      ],
    );
    return rows[0];
  }

  /** An authorization's outcome and amount, and whether it was voided: what a capture of it needs. */
  async findAuthorization(reference: string): Promise<{ outcome: string; amount_minor: string; voided: boolean } | undefined> {
    const rows = await this.sql.query<{ outcome: string; amount_minor: string; voided: boolean }>(
      `select a.outcome, a.amount_minor,
              exists (select 1 from sandbox_gateway_operations v where v.authorization_id = a.id and v.operation = 'void') as voided
         from sandbox_gateway_operations a where a.id = ? and a.operation = 'authorize'`,
      [reference],
    );
    return rows[0];
  }

  /** An authorization by its id, with its challenge if it has one: what status sync of a payment waiting for its customer reads. */
  async findAuthorizationWithChallenge(
    reference: string,
  ): Promise<{ outcome: string; amount_minor: string; voided: boolean; challenge_id: string | null } | undefined> {
    const rows = await this.sql.query<{ outcome: string; amount_minor: string; voided: boolean; challenge_id: string | null }>(
      `select a.outcome, a.amount_minor, a.challenge_id,
              exists (select 1 from sandbox_gateway_operations v where v.authorization_id = a.id and v.operation = 'void') as voided
         from sandbox_gateway_operations a where a.id = ? and a.operation = 'authorize'`,
      [reference],
    );
    return rows[0];
  }

  /** The authorization a challenge page belongs to. */
  async findChallenge(challengeId: string): Promise<SandboxChallengeRow | undefined> {
    const rows = await this.sql.query<SandboxChallengeRow>(
      `select a.id, a.challenge_id, a.challenge_csrf, a.payment_id, a.return_url, a.sale, a.amount_minor, a.currency, a.outcome,
              exists (select 1 from sandbox_gateway_operations v where v.authorization_id = a.id and v.operation = 'void') as voided
         from sandbox_gateway_operations a where a.challenge_id = ? and a.operation = 'authorize'`,
      [challengeId],
    );
    return rows[0];
  }

  /**
   * Records the customer's answer to a challenge, once: only while the authorization still waits for it and
   * has not been voided (the payment gave up waiting). Answers whether this call recorded it.
   */
  async decideChallenge(challengeId: string, outcome: string): Promise<boolean> {
    const rows = await this.sql.query<{ id: string }>(
      `update sandbox_gateway_operations a set outcome = ?, challenge_decided_at = now()
        where a.challenge_id = ? and a.operation = 'authorize' and a.outcome = 'requires_action'
          and not exists (select 1 from sandbox_gateway_operations v where v.authorization_id = a.id and v.operation = 'void')
        returning a.id`,
      [outcome, challengeId],
    );
    return rows.length === 1;
  }

  /**
   * A charge's source and what was captured and refunded of it: what a refund of it needs. The
   * refund under `idempotencyKey` is not counted, so a retry of it sees what the first attempt saw.
   */
  async findCharge(reference: string, idempotencyKey: string): Promise<{ source: string; captured: string; refunded: string } | undefined> {
    const [charge] = await this.sql.query<{ source: string; captured: string; refunded: string }>(
      `select a.source,
              case when a.outcome = 'captured' then a.amount_minor
                   else coalesce((select sum(c.amount_minor) from sandbox_gateway_operations c where c.authorization_id = a.id and c.operation = 'capture'), 0) end as captured,
              coalesce((select sum(r.amount_minor) from sandbox_gateway_operations r
                         where r.authorization_id = a.id and r.operation = 'refund' and r.outcome = 'refunded' and r.idempotency_key <> ?), 0) as refunded
         from sandbox_gateway_operations a where a.id = ? and a.operation = 'authorize'`,
      [idempotencyKey, reference],
    );
    return charge;
  }

  /**
   * What moved money from `from` (inclusive) to `to`, summed per settlement reference (see
   * `sandboxSettlementReport`) in the order the money first moved; references netting to zero are left out.
   */
  async settledBetween(from: string, to: string): Promise<{ reference: string; currency: string; amount_minor: string }[]> {
    return this.sql.query<{ reference: string; currency: string; amount_minor: string }>(
      `select reference, currency, sum(amount_minor) as amount_minor
       from (select case when operation = 'capture' then authorization_id else id end as reference, currency, created_at,
                    case when operation = 'refund' then -amount_minor else amount_minor end as amount_minor
               from sandbox_gateway_operations
              where created_at >= ? and created_at < ?
                and ((operation in ('authorize', 'capture') and outcome = 'captured') or (operation = 'refund' and outcome = 'refunded'))) settled
      group by reference, currency
     having sum(amount_minor) <> 0
      order by min(created_at), reference`,
      [from, to],
    );
  }
}

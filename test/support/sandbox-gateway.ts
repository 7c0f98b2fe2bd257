import type { Orm } from '../../src/db/orm';

/** How many operations (authorize, capture, void...) the sandbox gateway recorded for a payment: 0 means the card was never touched. */
export async function sandboxOperationCount(orm: Orm, paymentId: string): Promise<number> {
  const rows = await orm.em
    .getConnection()
    .execute<{ n: number }[]>(`select count(*)::int as n from sandbox_gateway_operations where idempotency_key like ?`, [`${paymentId}:%`]);
  return rows[0].n;
}

/** The operations the sandbox gateway recorded for a payment, oldest first, e.g. ['authorize', 'capture']. */
export async function sandboxOperationsOf(orm: Orm, paymentId: string): Promise<string[]> {
  const rows = await orm.em
    .getConnection()
    .execute<{ operation: string }[]>(`select operation from sandbox_gateway_operations where idempotency_key like ? order by created_at`, [
      `${paymentId}:%`,
    ]);
  return rows.map((row) => row.operation);
}

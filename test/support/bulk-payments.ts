import type { TestStack } from './test-stack';

export interface BulkPayments {
  merchantId: string;
  count: number;
  /** Ids are `<idPrefix><i, six digits>`: each file picks its own, as they share the test database. */
  idPrefix: string;
  /** Padding in each description, so the report is large in bytes as well as in rows. */
  descriptionLength: number;
  /** The first payments' created_at; the rest follow one second per three payments. */
  base: Date;
}

/**
 * Inserts `count` payments straight into the table, for the reports' large-volume tests: every tenth
 * failed, every seventh of the rest partly refunded, and three sharing each created_at to the
 * microsecond, so that keyset batches end inside a tie.
 */
export async function insertBulkPayments(stack: TestStack, bulk: BulkPayments): Promise<void> {
  await stack.orm.em.getConnection().execute(
    `insert into payments (id, merchant_id, amount_minor, currency, status, capture_method, source, description, amount_captured_minor,
        amount_refunded_minor, fee_minor, gateway, gateway_reference, failure_code, created_at)
      select ? || lpad(i::text, 6, '0'), ?, 1000 + i, 'USD', case when i % 10 = 0 then 'failed' else 'succeeded' end, 'automatic', 'tok_visa',
        'Order ' || i || ', "bulk" ' || repeat('x', ?::int),
        case when i % 10 = 0 then 0 else 1000 + i end, case when i % 7 = 0 and i % 10 <> 0 then 1000 + i else 0 end,
        case when i % 10 = 0 then 0 else 30 + i % 50 end, 'sandbox', 'gw_' || i, case when i % 10 = 0 then 'card_declined' end,
        ?::timestamptz + (i / 3) * interval '1 second' + interval '123456 microseconds'
      from generate_series(1, ?::int) as i`,
    [bulk.idPrefix, bulk.merchantId, bulk.descriptionLength, bulk.base.toISOString(), bulk.count],
  );
}

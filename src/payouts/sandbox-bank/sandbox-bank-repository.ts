import type { Sql } from '../../db/sql';

type Row = Record<string, any>;

/** One transfer in the sandbox bank's books. */
export interface SandboxBankTransfer {
  id: string;
  idempotencyKey: string;
  payoutId: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  bankAccountLast4: string;
  outcome: 'paid' | 'failed' | 'returned';
  failureCode: string | null;
  submittedAt: Date;
  arrivesAt: Date;
  returnsAt: Date | null;
}

function toTransfer(row: Row): SandboxBankTransfer {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    payoutId: row.payout_id,
    merchantId: row.merchant_id,
    amountMinor: Number(row.amount_minor),
    currency: String(row.currency),
    bankAccountLast4: row.bank_account_last4,
    outcome: row.outcome,
    failureCode: row.failure_code ?? null,
    submittedAt: new Date(row.submitted_at),
    arrivesAt: new Date(row.arrives_at),
    returnsAt: row.returns_at ? new Date(row.returns_at) : null,
  };
}

/** The sandbox bank's own books (`sandbox_bank_transfers`): never read by our ledger, only by the bank's answers. */
export class SandboxBankRepository {
  constructor(private readonly sql: Sql) {}

  /** Records the transfer unless its key was seen before; answers the transfer the key holds either way. */
  async insertOrFind(transfer: SandboxBankTransfer): Promise<SandboxBankTransfer> {
    await this.sql.query(
      `insert into sandbox_bank_transfers (id, idempotency_key, payout_id, merchant_id, amount_minor, currency, bank_account_last4,
         outcome, failure_code, submitted_at, arrives_at, returns_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
      [
        transfer.id,
        transfer.idempotencyKey,
        transfer.payoutId,
        transfer.merchantId,
        transfer.amountMinor,
        transfer.currency,
        transfer.bankAccountLast4,
        transfer.outcome,
        transfer.failureCode,
        transfer.submittedAt,
        transfer.arrivesAt,
        transfer.returnsAt,
      ],
    );
    return (await this.findByKey(transfer.idempotencyKey)) as SandboxBankTransfer;
  }

  async findByKey(idempotencyKey: string): Promise<SandboxBankTransfer | null> {
    const [row] = await this.sql.query<Row>(`select * from sandbox_bank_transfers where idempotency_key = ?`, [idempotencyKey]);
    return row ? toTransfer(row) : null;
  }

  async findById(id: string): Promise<SandboxBankTransfer | null> {
    const [row] = await this.sql.query<Row>(`select * from sandbox_bank_transfers where id = ?`, [id]);
    return row ? toTransfer(row) : null;
  }

  /** Transfers that moved money in [from, to): arrived and paid (or later returned), or returned. */
  async movementsBetween(from: Date, to: Date): Promise<SandboxBankTransfer[]> {
    const rows = await this.sql.query<Row>(
      `select * from sandbox_bank_transfers
        where (arrives_at >= ? and arrives_at < ? and outcome in ('paid','returned'))
           or (returns_at >= ? and returns_at < ?)
        order by arrives_at, id`,
      [from, to, from, to],
    );
    return rows.map(toTransfer);
  }
}

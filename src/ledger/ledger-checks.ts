import type { Orm } from '../db/orm';
import { inSnapshot, inTransaction } from '../db/sql';
import { apiTimestamp } from '../shared/timestamps';
import { LedgerCheckRepository } from './ledger-check-repository';
import { computeTrialBalance, type VerifiedTrialBalance } from './trial-balance';

export interface LedgerCheckResult {
  id: string;
  balanced: boolean;
  summary: LedgerCheckSummary;
}

export interface LedgerCheckSummary {
  currencies: number;
  accounts: number;
  account_mismatches: number;
  unbalanced_entries: number;
  balance_transaction_mismatches: number;
  negative_available: number;
  merchants_checked: number;
}

function summarize(trial: VerifiedTrialBalance): LedgerCheckSummary {
  return {
    currencies: trial.currencies.length,
    accounts: trial.accounts.length,
    account_mismatches: trial.account_mismatches.length,
    unbalanced_entries: trial.unbalanced_entries.length,
    balance_transaction_mismatches: trial.balance_transaction_mismatches.length,
    negative_available: trial.negative_available.length,
    merchants_checked: trial.merchants_checked,
  };
}

/** The daily proof that the books close, kept so finance can show when they last did. */
export class LedgerCheckService {
  constructor(private readonly deps: { orm: Orm }) {}

  /**
   * Runs the trial balance on one snapshot and records the outcome with whatever it found wrong.
   * @throws none (run by the daily ledger check workflow, not the API)
   */
  async run(asOf: Date, runKey: string): Promise<LedgerCheckResult> {
    const trial = await inSnapshot(this.deps.orm, (sql) => computeTrialBalance(sql, asOf));
    const summary = summarize(trial);
    const findings = {
      currencies: trial.currencies,
      account_mismatches: trial.account_mismatches,
      unbalanced_entries: trial.unbalanced_entries,
      balance_transaction_mismatches: trial.balance_transaction_mismatches,
      negative_available: trial.negative_available,
    };
    // Keyed by the scheduled run, so a retried activity records one check.
    const id = await inTransaction(this.deps.orm, (sql) =>
      new LedgerCheckRepository(sql).record({ runKey, asOf, balanced: trial.balanced, summary, findings }),
    );
    return { id, balanced: trial.balanced, summary };
  }

  /**
   * The latest checks, newest first.
   * @throws none
   */
  async list(limit: number): Promise<Record<string, unknown>[]> {
    const rows = await inTransaction(this.deps.orm, (sql) => new LedgerCheckRepository(sql).listRecent(limit));
    return rows.map((row) => ({
      id: row.id,
      object: 'ledger_check',
      as_of: apiTimestamp(row.as_of),
      balanced: row.balanced,
      summary: row.summary,
      created: apiTimestamp(row.created_at),
    }));
  }
}

import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import type { Orm } from '../src/db/orm';
import { sqlFor } from '../src/db/sql';
import { CredentialsUnreadable } from '../src/gateway-accounts/gateway-account-credentials';
import { sandboxSettlementReport } from '../src/gateways/sandbox/sandbox-settlement-report';
import { PayoutNetworkAccessDenied, type PayoutNetworks, type StatementMovement } from '../src/payouts/payout-network';
import type { PayoutNetworkName } from '../src/payouts/payout-state';
import { sandboxBankStatement } from '../src/payouts/sandbox-bank/sandbox-bank-statement';
import { ReconciliationLedgerRepository } from '../src/reconciliation/reconciliation-ledger-repository';
import { ReconciliationRepository } from '../src/reconciliation/reconciliation-repository';
import type { ReconciliationSummary } from '../src/reconciliation/reconcile';
import type { ReconciliationKind, ReconciliationSource, ReconciliationStatus } from '../src/reconciliation/reconciliation-record';
import { runReconciliation } from '../src/reconciliation/run-reconciliation';
import { formatSettlementCsv, parseSettlementCsv } from '../src/reconciliation/settlement-csv';
import { newId } from '../src/shared/ids';

export interface ReconciliationActivityDeps {
  orm: Orm;
  /** The payout networks, for the gateway accounts' own payout records; absent in a worker without them. */
  payoutNetworks?: PayoutNetworks;
}

export interface ReconcileSettlementInput {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  /** One per workflow run: a retried activity finds the run it stored instead of storing another. */
  runKey: string;
}

export interface ReconcileSettlementResult {
  reconciliationId: string;
  status: ReconciliationStatus;
  fileRows: number;
  summary: ReconciliationSummary;
}

/** A platform-wide daily run: whose report, of what kind, and the report itself. */
interface DailyReport {
  kind: ReconciliationKind;
  source: Exclude<ReconciliationSource, 'upload'>;
  /** The gateway, or for payouts the bank network, whose books wrote the report. */
  gateway: string;
  report: string;
}

export interface ReconcileGatewayPayoutsInput extends ReconcileSettlementInput {
  /** A gateway whose accounts pay out (stripe). */
  network: Exclude<PayoutNetworkName, 'sandbox_bank'>;
  /** Only these gateway accounts; by default every account that paid out over the network lately. */
  gatewayAccountIds?: string[];
}

export interface GatewayPayoutsReconciliation {
  /** One merchant-scoped run per account, each also sent to its merchant as reconciliation.* events. */
  runs: (ReconcileSettlementResult & { gatewayAccountId: string; merchantId: string })[];
  /** Accounts the gateway would not let us read (revoked keys): nothing was stored for them. */
  unreadable: { gatewayAccountId: string; merchantId: string; reason: string }[];
}

const DAY_MS = 86_400_000;
// An account that sent no payout through us for this long has nothing of ours still arriving or coming back.
const ACCOUNT_LOOKBACK_MS = 60 * DAY_MS;

async function reconcileDailyReport(
  orm: Orm,
  { day, runKey }: ReconcileSettlementInput,
  daily: DailyReport,
): Promise<ReconcileSettlementResult> {
  const { kind, source, gateway, report } = daily;
  // Through the same parser as merchants' uploads: the gateway's report must be a valid file too.
  const rows = parseSettlementCsv(report, { returns: kind === 'payouts' });
  const { run } = await runReconciliation(orm, {
    id: newId('rec'),
    merchantId: null,
    kind,
    source,
    gateway,
    periodStart: day,
    periodEnd: day,
    rows,
    fileSha256: createHash('sha256').update(report).digest('hex'),
    idempotencyKey: `${source}:${gateway}:${runKey}`,
  });
  if (run.status === 'discrepancies_found') {
    log.warn(`${kind} reconciliation found discrepancies`, { reconciliationId: run.id, gateway, day, ...run.summary });
  }
  return { reconciliationId: run.id, status: run.status, fileRows: run.fileRows, summary: run.summary };
}

export function createReconciliationActivities({ orm, payoutNetworks }: ReconciliationActivityDeps) {
  return {
    /**
     * Reconciles the sandbox gateway's settlement report for one UTC day against every merchant's
     * sandbox captures and refunds of that day, stores the platform-wide run, and logs a warning
     * with the counts when anything did not match.
     */
    async reconcileSandboxSettlement(input: ReconcileSettlementInput): Promise<ReconcileSettlementResult> {
      const report = await sandboxSettlementReport(sqlFor(orm.em.fork()), input.day);
      return reconcileDailyReport(orm, input, { kind: 'settlement', source: 'gateway_report', gateway: 'sandbox', report });
    },

    /**
     * Reconciles the sandbox bank's statement for one UTC day against every merchant's payouts
     * paid and returned over it that day, stores the platform-wide run, and logs a warning with
     * the counts when anything did not match.
     */
    async reconcileSandboxBankStatement(input: ReconcileSettlementInput): Promise<ReconcileSettlementResult> {
      const report = await sandboxBankStatement(sqlFor(orm.em.fork()), input.day);
      return reconcileDailyReport(orm, input, { kind: 'payouts', source: 'bank_statement', gateway: 'sandbox_bank', report });
    },

    /**
     * Reconciles each gateway account's own payout records of one UTC day (Stripe's list of the account's
     * payouts) against that merchant's payouts sent through the account: one merchant-scoped run per account,
     * stored with its events, and a warning logged when anything did not match. An account the gateway will not
     * let us read is reported, not retried; any other failure retries the activity, which finds the runs it
     * already stored by their keys.
     */
    async reconcileGatewayPayouts(input: ReconcileGatewayPayoutsInput): Promise<GatewayPayoutsReconciliation> {
      if (!payoutNetworks) throw new Error('This worker has no payout networks');
      const { day, runKey, network } = input;
      const since = new Date(Date.parse(`${day}T00:00:00Z`) - ACCOUNT_LOOKBACK_MS);
      const accounts = await new ReconciliationLedgerRepository(sqlFor(orm.em.fork())).payoutGatewayAccounts(
        network,
        since,
        input.gatewayAccountIds,
      );
      const result: GatewayPayoutsReconciliation = { runs: [], unreadable: [] };
      // One account's trouble never holds up the others: an account that cannot be read is reported, and a failure
      // that may pass (the gateway or the database down) fails the activity only after every other account is done.
      const retryable: string[] = [];
      for (const { gatewayAccountId, merchantId } of accounts) {
        const idempotencyKey = `bank_statement:${network}:${gatewayAccountId}:${runKey}`;
        const unreadable = (reason: string) => {
          log.warn('payout reconciliation could not read a gateway account', { gatewayAccountId, merchantId, day, reason });
          result.unreadable.push({ gatewayAccountId, merchantId, reason });
        };
        try {
          // A retried activity keeps the runs its earlier attempt stored, without asking the gateway again.
          let run = await new ReconciliationRepository(sqlFor(orm.em.fork())).findByIdempotencyKey(idempotencyKey);
          if (!run) {
            let statement: StatementMovement[];
            try {
              const networkOfAccount = await payoutNetworks.resolve({ network, gatewayAccount: gatewayAccountId });
              if (!networkOfAccount.statement) throw new PayoutNetworkAccessDenied(`${network} keeps no payout statement`);
              statement = await networkOfAccount.statement(day);
            } catch (error) {
              // Access refused, or credentials this worker cannot open: asking again will not help until someone acts.
              if (error instanceof PayoutNetworkAccessDenied || error instanceof CredentialsUnreadable) {
                unreadable(error.message);
                continue;
              }
              throw error;
            }
            const report = formatSettlementCsv(statement);
            ({ run } = await runReconciliation(orm, {
              id: newId('rec'),
              merchantId,
              kind: 'payouts',
              source: 'bank_statement',
              gateway: network,
              gatewayAccountId,
              periodStart: day,
              periodEnd: day,
              rows: parseSettlementCsv(report, { returns: true }),
              fileSha256: createHash('sha256').update(report).digest('hex'),
              idempotencyKey,
            }));
            if (run.status === 'discrepancies_found')
              log.warn('payout reconciliation found discrepancies', {
                reconciliationId: run.id,
                gatewayAccountId,
                merchantId,
                day,
                ...run.summary,
              });
          }
          result.runs.push({
            gatewayAccountId,
            merchantId,
            reconciliationId: run.id,
            status: run.status,
            fileRows: run.fileRows,
            summary: run.summary,
          });
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          log.warn('payout reconciliation of a gateway account failed; retried after the others', {
            gatewayAccountId,
            merchantId,
            day,
            reason,
          });
          retryable.push(`${gatewayAccountId}: ${reason}`);
        }
      }
      if (retryable.length > 0)
        throw new Error(`Could not reconcile ${retryable.length} gateway account(s) yet, to be retried: ${retryable.join('; ')}`);
      return result;
    },
  };
}

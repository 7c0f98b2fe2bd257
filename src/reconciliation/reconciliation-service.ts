import { createHash } from 'node:crypto';
import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { claimIdempotencyKey, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import type { ReconciliationKind, ReconciliationRecord } from './reconciliation-record';
import { ReconciliationRepository, type ReconciliationScope } from './reconciliation-repository';
import { renderReconciliation, type ReconciliationJson } from './reconciliation-view';
import { runReconciliation } from './run-reconciliation';
import { parseSettlementCsv, SettlementFileError, type SettlementRow } from './settlement-csv';

export interface ReconciliationServiceDeps {
  orm: Orm;
}

export interface SettlementUpload {
  file: string;
  /** `settlement` by default; `payouts` for a bank's statement. */
  kind?: ReconciliationKind;
  periodStart?: string;
  periodEnd?: string;
}

/** A period longer than this would load a quarter's ledger at once; split longer runs. */
export const MAX_PERIOD_DAYS = 92;

function fileError(error: SettlementFileError): ApiError {
  return new ApiError(400, `Invalid settlement file: ${error.message}`, 'invalid_settlement_file', 'file', {
    line: error.line,
    column: error.column,
    column_name: error.columnName,
  });
}

function parseFile(file: string, kind: ReconciliationKind): SettlementRow[] {
  try {
    return parseSettlementCsv(file, { returns: kind === 'payouts' });
  } catch (error) {
    if (error instanceof SettlementFileError) throw fileError(error);
    throw error;
  }
}

/** The period given, or the file's first and last dates; every row must fall inside it. */
export function resolvePeriod(
  rows: SettlementRow[],
  given: { periodStart?: string; periodEnd?: string },
): { periodStart: string; periodEnd: string } {
  const dates = rows.map((row) => row.date).sort();
  const periodStart = given.periodStart ?? dates[0];
  const periodEnd = given.periodEnd ?? dates[dates.length - 1];
  if (!periodStart) throw apiErrors.missingParameter('period_start', 'The file has no rows, so period_start and period_end are required');
  if (!periodEnd) throw apiErrors.missingParameter('period_end', 'The file has no rows, so period_start and period_end are required');
  if (periodEnd < periodStart) throw apiErrors.invalidParameter('period_end', 'Invalid period_end: must not be before period_start');
  const days = (Date.parse(periodEnd) - Date.parse(periodStart)) / 86_400_000 + 1;
  if (days > MAX_PERIOD_DAYS)
    throw apiErrors.invalidParameter('period_end', `Invalid period_end: a period covers at most ${MAX_PERIOD_DAYS} days`);
  const outside = rows.find((row) => row.date < periodStart || row.date > periodEnd);
  if (outside)
    throw fileError(new SettlementFileError(outside.line, 4, `${outside.date} is outside the period ${periodStart} to ${periodEnd}`));
  return { periodStart, periodEnd };
}

/** Merchants' reconciliations of a settlement file against their ledger, and the platform's runs for the admin. */
export class ReconciliationService {
  constructor(private readonly deps: ReconciliationServiceDeps) {}

  /**
   * Reconciles an uploaded settlement file (or, of kind payouts, a bank statement) against the merchant's ledger; a retry with the same Idempotency-Key gets the same run.
   * @throws 400 invalid_settlement_file, 400 parameter_missing, 400 parameter_invalid, 409 idempotency_key_in_use, 422 idempotency_key_reused
   */
  async createFromUpload(merchant: Merchant, upload: SettlementUpload, idempotency?: IdempotencyContext): Promise<ReconciliationJson> {
    const kind = upload.kind ?? 'settlement';
    const rows = parseFile(upload.file, kind);
    const period = resolvePeriod(rows, upload);
    const fileSha256 = createHash('sha256').update(upload.file).digest('hex');
    let id = newId('rec');
    if (idempotency) {
      const claim = await claimIdempotencyKey(this.deps.orm.em.fork(), {
        merchantId: merchant.id,
        key: idempotency.key,
        method: idempotency.method,
        path: idempotency.path,
        // A settlement upload's request reads as it did before kinds existed, so keys stored then still replay.
        request: {
          file_sha256: fileSha256,
          period_start: upload.periodStart ?? null,
          period_end: upload.periodEnd ?? null,
          ...(kind === 'payouts' ? { kind } : {}),
        },
        newResourceId: id,
        now: new Date(),
      });
      id = claim.resourceId;
      const stored = claim.replay ? await this.repository().find({ merchantId: merchant.id }, id) : null;
      if (stored) return this.render(stored);
    }
    // A concurrent request with the same key stores the run first; this one then gets that run back.
    const { run } = await runReconciliation(this.deps.orm, {
      id,
      merchantId: merchant.id,
      kind,
      source: 'upload',
      gateway: null,
      ...period,
      rows,
      fileSha256,
    });
    return this.render(run);
  }

  /**
   * A run the reader may see, with its items; 404 for anyone else's.
   * @throws 404 resource_missing
   */
  async get(scope: ReconciliationScope, id: string): Promise<ReconciliationJson> {
    const run = await this.repository().find(scope, id);
    if (!run) throw apiErrors.notFound('Reconciliation');
    return this.render(run);
  }

  /**
   * The reader's runs, newest first, without their items.
   * @throws 400 resource_missing (starting_after)
   */
  async list(scope: ReconciliationScope, query: { limit: number; startingAfter?: string }) {
    const reconciliations = this.repository();
    if (query.startingAfter && !(await reconciliations.find(scope, query.startingAfter)))
      throw apiErrors.noSuch('reconciliation', query.startingAfter);
    const page = await reconciliations.list(scope, query.limit, query.startingAfter);
    return { object: 'list' as const, data: page.data.map((run) => renderReconciliation(run)), has_more: page.hasMore };
  }

  private async render(run: ReconciliationRecord): Promise<ReconciliationJson> {
    return renderReconciliation(run, await this.repository().items(run.id));
  }

  private repository(): ReconciliationRepository {
    return new ReconciliationRepository(sqlFor(this.deps.orm.em.fork()));
  }
}

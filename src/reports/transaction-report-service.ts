import { Readable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sqlFor } from '../db/sql';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import { resolveReportRange, type ReportRange } from './report-range';
import type { TransactionReportQuery } from './report-schemas';
import {
  TransactionReportRepository,
  type KeysetCursor,
  type TransactionRow,
  type TransactionTotal,
} from './transaction-report-repository';
import { transactionCsvHeader, transactionCsvRecord, transactionRowJson, transactionTotalJson } from './transaction-report-view';

export interface TransactionReportServiceDeps {
  orm: MikroORM;
  logger: Logger;
  /** Rows per keyset query. */
  batchSize?: number;
  now?: () => Date;
}

/** A report ready to send: its headers, and a body produced only as fast as the client reads it. */
export interface ReportDownload {
  headers: Record<string, string>;
  body: Readable;
}

/** A report's bytes as text: what comes before the rows, the rows batch by batch, what comes after. Also a report run's file. */
export interface Rendering {
  headers: Record<string, string>;
  prefix: string;
  /** Rows as text; `first` for the report's first rows. */
  rows(rows: TransactionRow[], first: boolean): string;
  suffix: string;
}

// Rows per chunk written to the response. A paused client holds about two chunks in this process
// (the stream's buffer and the socket's queue) besides the batch being sent, so chunks stay small.
const ROWS_PER_CHUNK = 100;

/** Transaction reports of a merchant's payments over a period, streamed as JSON or CSV. */
export class TransactionReportService {
  private readonly batchSize: number;
  private readonly now: () => Date;

  constructor(private readonly deps: TransactionReportServiceDeps) {
    this.batchSize = deps.batchSize ?? 1_000;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Checks the period and runs the first queries (totals, first batch) before answering, so that
   * their failures are ordinary error responses; later batches are read as the client consumes
   * the body, each its own short query, so no connection is held while a slow client downloads.
   * @throws 400 parameter_missing, 400 parameter_invalid, 400 date_in_future, 400 date_range_invalid, 400 date_range_too_long
   */
  async open(merchant: Merchant, query: TransactionReportQuery): Promise<ReportDownload> {
    const range = resolveReportRange(query, this.now());
    const repository = new TransactionReportRepository(sqlFor(this.deps.orm.em.fork()));
    const rendering = query.format === 'csv' ? csvRendering(range) : jsonRendering(range, await repository.totals(merchant.id, range));
    const readAfter = (after?: KeysetCursor) => repository.batch(merchant.id, range, this.batchSize, after);
    const first = await readAfter();
    const chunks = this.chunks(rendering, first, readAfter);
    // One chunk waits in the stream's buffer; the next is rendered, and the next batch read, only as the client takes them.
    return { headers: rendering.headers, body: Readable.from(chunks, { highWaterMark: 1 }) };
  }

  private async *chunks(
    rendering: Rendering,
    firstBatch: TransactionRow[],
    readAfter: (after: KeysetCursor) => Promise<TransactionRow[]>,
  ): AsyncGenerator<string> {
    let rows = firstBatch;
    let text = rendering.prefix;
    let first = true;
    try {
      while (rows.length > 0) {
        for (let start = 0; start < rows.length; start += ROWS_PER_CHUNK) {
          text += rendering.rows(rows.slice(start, start + ROWS_PER_CHUNK), first);
          first = false;
          yield text;
          text = '';
        }
        const last = rows[rows.length - 1];
        rows = rows.length === this.batchSize ? await readAfter({ createdAt: last.createdAt, id: last.id }) : [];
      }
      const tail = text + rendering.suffix;
      if (tail) yield tail;
    } catch (error) {
      // The status line has gone: the client sees the response cut off, and the log says why.
      this.deps.logger.error({ err: error }, 'transaction report stream failed');
      throw error;
    }
  }
}

/** `transactions_<from>_<to>.<extension>`, the name the CSV report is downloaded as. */
export function transactionReportFilename(range: Pick<ReportRange, 'from' | 'to'>, extension: 'csv' | 'json'): string {
  // Validated bounds hold only digits, - + : . T and Z; without the colons they are ISO 8601's basic format.
  const name = (bound: string) => bound.replace(/[^0-9A-Za-z.+-]/g, '');
  return `transactions_${name(range.from)}_${name(range.to)}.${extension}`;
}

/** The CSV report: a header, then one record per row. */
export function csvRendering(range: ReportRange): Rendering {
  return {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${transactionReportFilename(range, 'csv')}"`,
    },
    prefix: transactionCsvHeader(),
    rows: (rows) => rows.map(transactionCsvRecord).join(''),
    suffix: '',
  };
}

/** The JSON report: the head with its totals, then the rows as its data array. */
export function jsonRendering(range: ReportRange, totals: TransactionTotal[]): Rendering {
  const head = { object: 'report', type: 'transactions', from: range.from, to: range.to, totals: totals.map(transactionTotalJson) };
  return {
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    // The head is complete JSON minus its closing brace; the rows follow as the data array.
    prefix: `${JSON.stringify(head).slice(0, -1)},"data":[`,
    rows: (rows, first) => (first ? '' : ',') + rows.map((row) => JSON.stringify(transactionRowJson(row))).join(','),
    suffix: ']}\n',
  };
}

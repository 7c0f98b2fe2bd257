import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import { apiErrors } from '../shared/api-error';
import type { ReconciliationService } from './reconciliation-service';
import {
  createReconciliationBody,
  createReconciliationQuery,
  FILE_DESCRIPTION,
  listReconciliationsQuery,
  reconciliationIdParams,
  reconciliationListSchema,
  reconciliationSchema,
} from './reconciliation-schemas';

/** Settlement files are a few hundred thousand rows at most; this leaves room. */
export const SETTLEMENT_FILE_LIMIT_BYTES = 5 * 1024 * 1024;

const notFound = { 404: { description: 'Reconciliation not found.', schema: errorSchema } };

/** One parameter (a period bound, the kind) from the JSON body or, for text/csv uploads, the query string; never both. */
function bodyOrQuery<T extends string>(name: 'kind' | 'period_start' | 'period_end', fromBody?: T, fromQuery?: T): T | undefined {
  if (fromBody !== undefined && fromQuery !== undefined)
    throw apiErrors.invalidParameter(name, `Give ${name} in the body or in the query string, not both`);
  return fromBody ?? fromQuery;
}

/** Reconciliation of gateway settlement and bank payout statements against the ledger: merchants upload files; the admin reads the platform's daily runs. */
export function reconciliationRoutes(reconciliations: ReconciliationService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/reconciliations',
      operationId: 'createReconciliation',
      tags: ['Reconciliation'],
      auth: 'merchant',
      idempotent: 'create',
      summary: "Reconcile a gateway settlement file, or a bank's payout statement, against your ledger",
      description:
        'Send the file as a text/csv body (kind and period in the query string) or as JSON `{ file, kind?, period_start?, period_end? }`. Each file row and each capture or refund ' +
        '(for `kind: "payouts"`, each payout paid or returned, under its bank reference) ' +
        'posted in the period (UTC days; by default the first to the last date in the file) is classified once: matched, amount_mismatch, missing_in_ledger or ' +
        'missing_in_settlement. Records the event reconciliation.completed, and reconciliation.discrepancies_found when anything did not match. ' +
        'A malformed file is a 400 naming its line and column (`line`, `column`, `column_name`).',
      body: createReconciliationBody,
      rawBody: {
        mediaType: 'text/csv',
        field: 'file',
        limitBytes: SETTLEMENT_FILE_LIMIT_BYTES,
        description: `${FILE_DESCRIPTION} At most 5 MB.`,
      },
      query: createReconciliationQuery,
      responses: {
        201: { description: 'The reconciliation, with every item.', schema: reconciliationSchema },
        ...errorResponses,
        413: {
          description: 'The file is larger than 5 MB (text/csv) or the JSON body larger than the API body limit.',
          schema: errorSchema,
        },
        415: { description: 'The body is neither application/json nor UTF-8 text/csv.', schema: errorSchema },
        422: { description: 'The Idempotency-Key was used before with a different file or period.', schema: errorSchema },
      },
      async handle({ body, query, merchant, idempotencyKey, requestPath }) {
        const upload = {
          file: body.file,
          kind: bodyOrQuery('kind', body.kind, query.kind),
          periodStart: bodyOrQuery('period_start', body.period_start, query.period_start),
          periodEnd: bodyOrQuery('period_end', body.period_end, query.period_end),
        };
        return {
          status: 201,
          body: await reconciliations.createFromUpload(
            merchant,
            upload,
            idempotencyKey ? { key: idempotencyKey, method: 'POST', path: requestPath } : undefined,
          ),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reconciliations/:id',
      operationId: 'getReconciliation',
      tags: ['Reconciliation'],
      auth: 'merchant',
      summary: 'Retrieve a reconciliation',
      params: reconciliationIdParams,
      responses: {
        200: { description: 'The reconciliation, with every item.', schema: reconciliationSchema },
        ...errorResponses,
        ...notFound,
      },
      async handle({ params, merchant }) {
        return { status: 200, body: await reconciliations.get({ merchantId: merchant.id }, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reconciliations',
      operationId: 'listReconciliations',
      tags: ['Reconciliation'],
      auth: 'merchant',
      summary: 'List reconciliations, newest first',
      query: listReconciliationsQuery,
      responses: {
        200: { description: 'A page of reconciliations, without their items.', schema: reconciliationListSchema },
        ...errorResponses,
      },
      async handle({ query, merchant }) {
        return {
          status: 200,
          body: await reconciliations.list({ merchantId: merchant.id }, { limit: query.limit, startingAfter: query.starting_after }),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/reconciliations/:id',
      operationId: 'getPlatformReconciliation',
      tags: ['Reconciliation'],
      auth: 'admin',
      summary:
        "Retrieve a platform-wide reconciliation (the daily run against a gateway's settlement report or the sandbox bank's statement)",
      params: reconciliationIdParams,
      responses: {
        200: { description: 'The reconciliation, with every item.', schema: reconciliationSchema },
        ...errorResponses,
        ...notFound,
      },
      async handle({ params }) {
        return { status: 200, body: await reconciliations.get({ platform: true }, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/reconciliations',
      operationId: 'listPlatformReconciliations',
      tags: ['Reconciliation'],
      auth: 'admin',
      summary: 'List platform-wide reconciliations, newest first',
      query: listReconciliationsQuery,
      responses: {
        200: { description: 'A page of reconciliations, without their items.', schema: reconciliationListSchema },
        ...errorResponses,
      },
      async handle({ query }) {
        return {
          status: 200,
          body: await reconciliations.list({ platform: true }, { limit: query.limit, startingAfter: query.starting_after }),
        };
      },
    }),
  ];
}

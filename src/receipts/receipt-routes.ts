import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { errorSchema } from '../api/common-schemas';
import { defineRoute, type ApiRoute, type RouteResult } from '../api/route';
import { apiErrors } from '../shared/api-error';
import type { ReceiptService } from './receipt-service';
import { newStyleNonce, pageSecurityHeaders, renderReceiptNotFoundPage, renderReceiptPage } from './receipt-page';

const params = z.strictObject({ token: z.string().max(255).describe("The receipt's token, from the payment's receipt_url.") });

function page(ctx: ParameterizedContext, status: number, body: string, nonce: string): RouteResult {
  ctx.set(pageSecurityHeaders({ nonce }));
  ctx.type = 'text/html; charset=utf-8';
  return { status, body };
}

/**
 * GET /receipts/:token: the customer's receipt page. Public (the unguessable token is the key) and
 * HTML; an unknown token is a page for a browser and the API's JSON error for any other client.
 */
export function receiptRoutes(receipts: ReceiptService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/receipts/:token',
      operationId: 'showReceipt',
      tags: ['Receipts'],
      auth: 'none',
      summary: "A payment's receipt page, for the customer",
      description:
        "The page a succeeded payment's `receipt_url` opens, without an API key: merchant, amount, card brand and last 4, date, status and refunds. HTML for people; the link is the key, so share it only with the customer.",
      params,
      responses: {
        200: { description: 'The receipt page.', otherContent: { 'text/html': 'The receipt page.' } },
        400: { description: 'The token is longer than any we make.', schema: errorSchema },
        404: { description: 'No receipt has this token.', schema: errorSchema, otherContent: { 'text/html': 'A page saying so.' } },
      },
      async handle(input, ctx) {
        // The token is the only key to the receipt: the access log names the route, not the path.
        ctx.state.logPath = '/receipts/:token';
        const nonce = newStyleNonce();
        const facts = await receipts.byToken(input.params.token);
        if (facts) return page(ctx, 200, renderReceiptPage(facts, nonce), nonce);
        if (ctx.accepts('json', 'html') !== 'html') throw apiErrors.notFound('Receipt', 'token');
        return page(ctx, 404, renderReceiptNotFoundPage(nonce), nonce);
      },
    }),
  ];
}

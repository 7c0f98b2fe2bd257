import { randomBytes } from 'node:crypto';
import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { errorSchema } from '../../api/common-schemas';
import { readTextBody } from '../../api/raw-body';
import { defineRoute, type ApiRoute, type RouteResult } from '../../api/route';
import { ApiError, apiErrors } from '../../shared/api-error';
import { challengeHeaders, challengePage, noticePage, returnUrlWithPayment, type NoticeKind } from './sandbox-challenge-page';
import type { SandboxChallengeService } from './sandbox-challenge-service';

const FORM_LIMIT_BYTES = 4096;
const params = z.strictObject({ challenge: z.string().max(255).describe("The challenge id, from the payment's next_action URL.") });
const html = (description: string) => ({ description, otherContent: { 'text/html': description } });
/** A refusal: a page for a browser, the API's JSON error for any other client. */
const refusal = (description: string) => ({ description, schema: errorSchema, otherContent: { 'text/html': description } });

/** The challenge id is a bearer secret: the access log gets the route, not the URL. */
function hideChallengeFromLog(ctx: ParameterizedContext): void {
  ctx.state.logPath = '/sandbox/3ds/:challenge';
}

/** Sets the page and its security headers. */
function page(ctx: ParameterizedContext, status: number, body: string, returnUrl: string | null, nonce: string): RouteResult {
  for (const [name, value] of Object.entries(challengeHeaders(nonce, returnUrl))) ctx.set(name, value);
  ctx.type = 'text/html; charset=utf-8';
  return { status, body };
}

const REFUSALS: Record<Exclude<NoticeKind, 'passed' | 'failed'>, (detail?: string) => ApiError> = {
  not_found: () => apiErrors.notFound('Challenge', 'challenge'),
  expired: () =>
    new ApiError(410, 'The payment stopped waiting for this authentication; nothing was recorded', 'challenge_expired', 'challenge'),
  forbidden: () =>
    new ApiError(403, 'The csrf_token does not match the challenge page; nothing was recorded', 'csrf_token_invalid', 'csrf_token'),
  invalid: (detail) => apiErrors.invalidParameter('result', detail ?? 'Invalid result'),
};

/** A refusal as a page to a browser (which asks for HTML first), else as the API's JSON error naming the field. */
function refuse(ctx: ParameterizedContext, kind: keyof typeof REFUSALS, nonce: string, detail?: string): RouteResult {
  const error = REFUSALS[kind](detail);
  if (ctx.accepts('json', 'html') !== 'html') throw error;
  return page(ctx, error.status, noticePage(kind, nonce, detail), null, nonce);
}

/** The sandbox issuer's 3-D Secure challenge page: what a sandbox payment's `next_action.redirect_to_url` opens. No API key. */
export function sandboxChallengeRoutes(challenges: SandboxChallengeService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/sandbox/3ds/:challenge',
      operationId: 'showSandboxChallenge',
      tags: ['Gateways'],
      auth: 'none',
      summary: "The sandbox's 3-D Secure challenge page",
      description:
        "Test mode only: the page a sandbox payment that requires authentication (tok_threeDSecure2Required, card 4000002760003184) sends the customer to. It shows the merchant and the amount and two buttons, Complete authentication and Fail authentication, as Stripe's test page does.",
      params,
      responses: {
        200: html('The challenge, or the answer already recorded.'),
        400: refusal('The challenge id is longer than any we make.'),
        404: refusal('No such challenge.'),
        410: refusal('The payment stopped waiting for the customer (the challenge expired).'),
      },
      async handle(input, ctx) {
        hideChallengeFromLog(ctx);
        const nonce = randomBytes(16).toString('base64');
        const view = await challenges.view(input.params.challenge);
        switch (view.kind) {
          case 'not_found':
          case 'expired':
            return refuse(ctx, view.kind, nonce);
          case 'decided':
            return page(ctx, 200, noticePage(view.passed ? 'passed' : 'failed', nonce), view.returnUrl, nonce);
          case 'open':
            return page(ctx, 200, challengePage(view, nonce), view.returnUrl, nonce);
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/sandbox/3ds/:challenge',
      operationId: 'answerSandboxChallenge',
      tags: ['Gateways'],
      auth: 'none',
      summary: "Answer the sandbox's 3-D Secure challenge",
      description:
        "The challenge form, posted as application/x-www-form-urlencoded with `csrf_token` (from the page) and `result` (`complete` or `fail`). The answer is recorded once and the payment resumes at once; then 303 to the payment's return_url with `payment_id` added, or a page saying authentication is complete. A repeat changes nothing.",
      params,
      responses: {
        303: { description: "Recorded (or recorded before): to the payment's return_url, with payment_id added." },
        200: html('Recorded (or recorded before), for a payment without a return_url.'),
        400: refusal('The form lacks a valid `result`; nothing was recorded.'),
        403: refusal('The CSRF token is missing or wrong; nothing was recorded.'),
        404: refusal('No such challenge.'),
        410: refusal('The payment stopped waiting for the customer (the challenge expired); nothing was recorded.'),
        413: { description: 'The form is larger than 4 kB.', schema: errorSchema },
        415: { description: 'Not a form body.', schema: errorSchema },
      },
      async handle(input, ctx) {
        hideChallengeFromLog(ctx);
        const nonce = randomBytes(16).toString('base64');
        // An unknown challenge is a 404 whatever was sent with it.
        if ((await challenges.view(input.params.challenge)).kind === 'not_found') return refuse(ctx, 'not_found', nonce);
        if (!ctx.is('application/x-www-form-urlencoded'))
          throw apiErrors.unsupportedMediaType('Content-Type must be application/x-www-form-urlencoded');
        const form = new URLSearchParams(await readTextBody(ctx, FORM_LIMIT_BYTES));
        const answer = await challenges.answer(input.params.challenge, form);
        switch (answer.kind) {
          case 'not_found':
          case 'expired':
          case 'forbidden':
            return refuse(ctx, answer.kind, nonce);
          case 'invalid':
            return refuse(ctx, 'invalid', nonce, answer.message);
          case 'decided': {
            if (!answer.returnUrl) return page(ctx, 200, noticePage(answer.passed ? 'passed' : 'failed', nonce), null, nonce);
            const location = returnUrlWithPayment(answer.returnUrl, answer.paymentId);
            ctx.set('Location', location);
            return page(ctx, 303, noticePage(answer.passed ? 'passed' : 'failed', nonce), answer.returnUrl, nonce);
          }
        }
      },
    }),
  ];
}

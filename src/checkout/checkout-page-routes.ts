import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { errorSchema } from '../api/common-schemas';
import { readTextBody } from '../api/raw-body';
import { defineRoute, type ApiRoute, type RouteResult } from '../api/route';
import { ApiError, apiErrors } from '../shared/api-error';
import { newStyleNonce, pageSecurityHeaders } from '../receipts/receipt-page';
import type { CheckoutSessionRecord } from './checkout-record';
import { renderCheckoutForm, renderCheckoutMessage, type CheckoutFormState, type CheckoutPageFacts } from './checkout-page';
import { customerFailureMessage, type CheckoutPageService } from './checkout-page-service';
import { checkoutPaymentStatusOf, MAX_CHECKOUT_ATTEMPTS } from './checkout-state';
import type { Merchant } from '../merchants/merchant-record';

const FORM_LIMIT_BYTES = 4096;
const COOKIE = 'lf_checkout';
const params = z.strictObject({ session: z.string().max(255).describe("The checkout session id, from the session's `url`.") });
const html = (description: string) => ({ description, otherContent: { 'text/html': description } });
const refusal = (description: string) => ({ description, schema: errorSchema, otherContent: { 'text/html': description } });

/** A refusal as a page to a browser (which asks for HTML first), else as the API's JSON error naming the field. */
function refuse<T extends RouteResult | Promise<RouteResult>>(ctx: ParameterizedContext, error: ApiError, page: () => T): T {
  if (ctx.accepts('json', 'html') !== 'html') throw error;
  return page();
}
type Found = { session: CheckoutSessionRecord; merchant: Merchant };

function factsOf({ session, merchant }: Found): CheckoutPageFacts {
  return {
    sessionId: session.id,
    merchantName: merchant.name,
    amountMinor: session.amountMinor,
    currency: session.currency,
    description: session.description,
    expiresAt: session.expiresAt,
  };
}

/** The response's nonce (its inline style and script run by it), made once per response. */
function pageNonce(ctx: ParameterizedContext): string {
  const state = ctx.state as { pageNonce?: string };
  state.pageNonce ??= newStyleNonce();
  return state.pageNonce;
}

function origin(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * Sets the page's headers. The form may post to the page only, and the redirects that follow a post may go to the
 * merchant's URLs or to a gateway's 3-D Secure page (https), which Chromium checks against form-action too.
 */
function respond(ctx: ParameterizedContext, status: number, body: string, found: Found | null): RouteResult {
  const nonce = pageNonce(ctx);
  const targets = found ? [origin(found.session.successUrl), origin(found.session.cancelUrl)].filter(Boolean) : [];
  const headers = pageSecurityHeaders({ nonce, formAction: ["'self'", 'https:', ...new Set(targets)].join(' ') });
  // The form's one script (the card brand as it is typed) runs by the same nonce as the style.
  headers['content-security-policy'] += `; script-src 'nonce-${nonce}'`;
  ctx.set(headers);
  // The session id is the page's key: the access log names the route, not the path.
  ctx.state.logPath = ctx.path.endsWith('/cancel')
    ? '/pay/:session/cancel'
    : ctx.path.endsWith('/return')
      ? '/pay/:session/return'
      : '/pay/:session';
  ctx.type = 'text/html; charset=utf-8';
  return { status, body };
}

function redirect(ctx: ParameterizedContext, location: string, found: Found): RouteResult {
  ctx.set('Location', location);
  const nonce = pageNonce(ctx);
  return respond(
    ctx,
    303,
    renderCheckoutMessage({ title: 'Redirecting', message: 'Taking you on.', link: { href: location, text: 'Continue' } }, nonce),
    found,
  );
}

/** A page that moves the browser on by itself (Refresh), with a link for when it does not. */
function continuePage(ctx: ParameterizedContext, location: string, found: Found): RouteResult {
  const nonce = pageNonce(ctx);
  ctx.set('Refresh', `0; url=${location}`);
  return respond(
    ctx,
    200,
    renderCheckoutMessage(
      { title: 'Authentication complete', message: 'Taking you on.', facts: factsOf(found), link: { href: location, text: 'Continue' } },
      nonce,
    ),
    found,
  );
}

/** The browser's binding cookie: set once per session page, HttpOnly and same-site only. */
function formNonce(ctx: ParameterizedContext, pages: CheckoutPageService, sessionId: string): string {
  const existing = ctx.cookies.get(COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const nonce = pages.newFormNonce();
  ctx.cookies.set(COOKIE, nonce, { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: `/pay/${sessionId}`, overwrite: true });
  return nonce;
}

/** A page that looks at the session again every two seconds while its payment is being decided. */
function processingPage(ctx: ParameterizedContext, found: Found): RouteResult {
  const nonce = pageNonce(ctx);
  ctx.set('Refresh', `2; url=/pay/${encodeURIComponent(found.session.id)}`);
  return respond(
    ctx,
    200,
    renderCheckoutMessage(
      {
        title: 'Processing your payment',
        message: 'This takes a few seconds. The page updates by itself; please do not pay again.',
        facts: factsOf(found),
      },
      nonce,
    ),
    found,
  );
}

/** What the page shows for the session as it stands: the form, a wait, the way on to authenticate, or the way back. */
async function showSession(
  ctx: ParameterizedContext,
  pages: CheckoutPageService,
  found: Found,
  form: Partial<CheckoutFormState> = {},
  status = 200,
): Promise<RouteResult> {
  const { session } = found;
  const nonce = pageNonce(ctx);
  const facts = factsOf(found);
  if (session.status === 'complete') return redirect(ctx, await pages.redirectUrl(found, 'success'), found);
  const payment = session.payment;
  const paymentState = payment ? checkoutPaymentStatusOf(payment.status) : 'unpaid';
  if (paymentState === 'requires_action' && payment?.actionUrl) return redirect(ctx, payment.actionUrl, found);
  if (paymentState === 'pending' || paymentState === 'requires_action') return processingPage(ctx, found);
  // A payment under way is followed to its end even past expires_at: the session does not expire under it.
  if (session.status === 'expired' || session.expiresAt.getTime() <= Date.now())
    return refuse(
      ctx,
      new ApiError(410, 'The checkout session has expired; nothing was charged', 'checkout_session_expired', 'session'),
      () =>
        respond(
          ctx,
          410,
          renderCheckoutMessage(
            { title: 'This payment page has expired', message: 'Nothing was charged. Go back to the merchant to start again.', facts },
            nonce,
          ),
          found,
        ),
    );
  const attemptsLeft = MAX_CHECKOUT_ATTEMPTS - session.attempts;
  if (attemptsLeft <= 0)
    return respond(
      ctx,
      200,
      renderCheckoutMessage(
        { title: 'No more attempts', message: 'This page takes no more cards. Go back to the merchant to try again.', facts },
        nonce,
      ),
      found,
    );
  const declined =
    session.paymentStatus === 'failed' && payment ? customerFailureMessage(payment.failureCode, payment.failureMessage) : undefined;
  const csrfToken = pages.csrfToken(session, formNonce(ctx, pages, session.id));
  return respond(ctx, status, renderCheckoutForm(facts, { csrfToken, attemptsLeft, formError: declined, ...form }, nonce), found);
}

async function readForm(ctx: ParameterizedContext): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded'))
    throw apiErrors.unsupportedMediaType('Content-Type must be application/x-www-form-urlencoded');
  return new URLSearchParams(await readTextBody(ctx, FORM_LIMIT_BYTES));
}

function notFound(ctx: ParameterizedContext): RouteResult {
  return refuse(ctx, apiErrors.notFound('Checkout session', 'session'), () => notFoundPage(ctx));
}

function notFoundPage(ctx: ParameterizedContext): RouteResult {
  const nonce = pageNonce(ctx);
  return respond(
    ctx,
    404,
    renderCheckoutMessage({ title: 'Payment page not found', message: 'Check the link the merchant gave you.' }, nonce),
    null,
  );
}

function forbidden(ctx: ParameterizedContext, found: Found): RouteResult {
  const error = new ApiError(403, 'The csrf_token does not match this payment page; nothing was done', 'csrf_token_invalid', 'csrf_token');
  return refuse(ctx, error, () => forbiddenPage(ctx, found));
}

function forbiddenPage(ctx: ParameterizedContext, found: Found): RouteResult {
  const nonce = pageNonce(ctx);
  return respond(
    ctx,
    403,
    renderCheckoutMessage(
      {
        title: 'Please try again',
        message: 'This form was not sent from this payment page, or it is too old.',
        link: { href: `/pay/${found.session.id}`, text: 'Back to the payment page' },
      },
      nonce,
    ),
    found,
  );
}

/** The hosted payment page a checkout session's `url` opens. No API key: the unguessable session id is the key. */
export function checkoutPageRoutes(pages: CheckoutPageService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/pay/:session',
      operationId: 'showCheckoutPage',
      tags: ['Checkout'],
      auth: 'none',
      summary: 'The hosted payment page',
      description:
        'HTML for the customer: the amount, the merchant, and a card form posted back to this URL. A complete session redirects (303) to its success_url with signed parameters; an expired one answers 410.',
      params,
      responses: {
        200: html('The payment form, or a page saying the payment is being processed.'),
        303: { description: 'On to the merchant (complete) or to 3-D Secure (requires_action).' },
        400: refusal('The session id is longer than any we make.'),
        404: refusal('No such session.'),
        410: refusal('The session has expired.'),
      },
      async handle({ params: { session } }, ctx) {
        const found = await pages.find(session);
        return found ? showSession(ctx, pages, found) : notFound(ctx);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/pay/:session',
      operationId: 'submitCheckoutPage',
      tags: ['Checkout'],
      auth: 'none',
      summary: 'Pay on the hosted payment page',
      description:
        "The card form, as application/x-www-form-urlencoded: `card_number`, `card_expiry` (MM / YY), `card_cvc` and `csrf_token` (bound to the page's cookie). The card goes to the vault; the session starts at most one payment at a time. A field error or a decline shows the form again with the error.",
      params,
      responses: {
        200: html('The form again, with a decline, or the processing page.'),
        303: { description: 'Paid: on to success_url (signed). Authentication needed: on to the 3-D Secure page.' },
        403: refusal('The CSRF token is missing or wrong; nothing was done.'),
        400: refusal('The session id is longer than any we make.'),
        404: refusal('No such session.'),
        410: refusal('The session has expired; nothing was charged.'),
        413: { description: 'The form is larger than 4 kB.', schema: errorSchema },
        415: { description: 'Not a form body.', schema: errorSchema },
        422: refusal('A card field is invalid: the form again, with the error under the field.'),
        429: refusal('Too many attempts from this address; Retry-After says when to come back.'),
      },
      async handle({ params: { session } }, ctx) {
        const found = await pages.find(session);
        if (!found) return notFound(ctx);
        const form = await readForm(ctx);
        if (!pages.checkCsrf(found.session, ctx.cookies.get(COOKIE), form.get('csrf_token'))) return forbidden(ctx, found);
        if (found.session.status !== 'open' || found.session.expiresAt.getTime() <= Date.now()) return showSession(ctx, pages, found);
        const outcome = await pages.submit(
          found,
          { number: form.get('card_number') ?? '', expiry: form.get('card_expiry') ?? '', cvc: form.get('card_cvc') ?? '' },
          ctx.ip,
        );
        if (outcome.kind === 'invalid')
          return refuse(ctx, new ApiError(422, outcome.message, 'parameter_invalid', outcome.field), () =>
            showSession(
              ctx,
              pages,
              found,
              { fieldErrors: { [outcome.field]: outcome.message }, formError: undefined, expiry: form.get('card_expiry') ?? '' },
              422,
            ),
          );
        if (outcome.kind === 'rate_limited') {
          ctx.set('Retry-After', String(outcome.retryAfterSeconds));
          if (ctx.accepts('json', 'html') !== 'html')
            throw new ApiError(429, `Too many card attempts: retry after ${outcome.retryAfterSeconds} s`, 'rate_limited');
          const nonce = pageNonce(ctx);
          return respond(
            ctx,
            429,
            renderCheckoutMessage(
              {
                title: 'Too many attempts',
                message: `Please wait ${outcome.retryAfterSeconds} seconds and try again.`,
                facts: factsOf(found),
              },
              nonce,
            ),
            found,
          );
        }
        const now = await pages.find(session);
        if (!now) return notFound(ctx);
        // Not decided within the wait (a slow gateway): say so, and look again shortly, rather than show the form again.
        if (outcome.kind === 'submitted' && !outcome.state && now.session.status === 'open') return processingPage(ctx, now);
        return showSession(ctx, pages, now);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/pay/:session/cancel',
      operationId: 'cancelCheckoutPage',
      tags: ['Checkout'],
      auth: 'none',
      summary: 'Go back to the merchant without paying',
      description: 'Form with `csrf_token`. Redirects (303) to cancel_url with signed parameters; the session stays open until it expires.',
      params,
      responses: {
        303: { description: 'On to cancel_url (or success_url, when the session was already paid).' },
        403: refusal('The CSRF token is missing or wrong.'),
        400: refusal('The session id is longer than any we make.'),
        404: refusal('No such session.'),
        413: { description: 'The form is larger than 4 kB.', schema: errorSchema },
        415: { description: 'Not a form body.', schema: errorSchema },
      },
      async handle({ params: { session } }, ctx) {
        const found = await pages.find(session);
        if (!found) return notFound(ctx);
        const form = await readForm(ctx);
        if (!pages.checkCsrf(found.session, ctx.cookies.get(COOKIE), form.get('csrf_token'))) return forbidden(ctx, found);
        // A paid session goes to success whatever was clicked: the customer has paid.
        return redirect(ctx, await pages.redirectUrl(found, found.session.status === 'complete' ? 'success' : 'cancel'), found);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/pay/:session/return',
      operationId: 'returnToCheckoutPage',
      tags: ['Checkout'],
      auth: 'none',
      summary: 'Back from 3-D Secure',
      description:
        "Where the gateway's authentication page sends the customer. Waits a few seconds for the payment's outcome, then shows the session as it stands (GET /pay/{session}).",
      params,
      query: z.object({}).catchall(z.string().max(2000)),
      responses: {
        200: html('Moves on by itself (Refresh) to success_url, signed, when paid, or back to the page.'),
        400: refusal('The session id is longer than any we make.'),
        404: refusal('No such session.'),
      },
      async handle({ params: { session } }, ctx) {
        const found = await pages.find(session);
        if (!found) return notFound(ctx);
        const waiting = found.session.paymentStatus === 'requires_action';
        const now = waiting ? await pages.waitForChange(session, found.session.version) : found.session;
        const current = now ? { session: now, merchant: found.merchant } : found;
        // A page, not a redirect: browsers hold every redirect after a form post (the challenge's) to that form's
        // form-action, which cannot name the merchant's site. A refresh is a new navigation.
        const next =
          current.session.status === 'complete' ? await pages.redirectUrl(current, 'success') : `/pay/${encodeURIComponent(session)}`;
        return continuePage(ctx, next, current);
      },
    }),
  ];
}

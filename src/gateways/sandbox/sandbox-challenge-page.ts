import { formatMinor } from '../../shared/money';
import { escapeHtml, htmlPage as pageShell } from '../../receipts/receipt-page';

/**
 * The HTML of the sandbox's 3-D Secure challenge (it stands for the card issuer's ACS page), and the
 * headers it is served with. Pure: no I/O, every text escaped. It never sees a card number.
 */

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; padding: 1.5rem; background: #f4f5f7; color: #1a1a1a; }
main { max-width: 28rem; margin: 0 auto; background: #fff; border-radius: 8px; padding: 1.5rem; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
h1 { font-size: 1.25rem; margin-top: 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .5rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
.note { font-size: .9rem; color: #444; }
.actions { display: flex; flex-direction: column; gap: .75rem; margin-top: 1.5rem; }
button { font-size: 1rem; padding: .75rem 1rem; border-radius: 6px; border: 2px solid #1f4fd1; cursor: pointer; }
button:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
.complete { background: #1f4fd1; color: #fff; }
.fail { background: #fff; color: #1f4fd1; }
`;

/** A whole page in the pages' one shell, with the challenge's own look; `nonce` lets its styles through the CSP. */
function htmlPage(title: string, body: string, nonce: string): string {
  return pageShell({ title: escapeHtml(title), nonce, body: `<style nonce="${escapeHtml(nonce)}">${STYLE}</style>\n${body}` });
}

export interface ChallengeForm {
  merchantName: string;
  amountMinor: number;
  currency: string;
  csrfToken: string;
}

/** Form field names of the challenge form. */
export const CHALLENGE_FIELDS = { csrfToken: 'csrf_token', result: 'result' } as const;
export const CHALLENGE_RESULTS = ['complete', 'fail'] as const;
export type ChallengeResult = (typeof CHALLENGE_RESULTS)[number];

/** The challenge: what is being paid, and the two answers Stripe's test page offers. The form posts back to this same URL. */
export function challengePage(form: ChallengeForm, nonce: string): string {
  const amount = `${form.currency.toUpperCase()} ${formatMinor(form.amountMinor, form.currency)}`;
  return htmlPage(
    'Authenticate your payment',
    `<h1>Authenticate your payment</h1>
<p class="note">Test mode: this page stands for your card issuer's 3-D Secure check. No real bank is contacted.</p>
<dl>
<dt>Merchant</dt><dd>${escapeHtml(form.merchantName)}</dd>
<dt>Amount</dt><dd>${escapeHtml(amount)}</dd>
</dl>
<form method="post">
<input type="hidden" name="${CHALLENGE_FIELDS.csrfToken}" value="${escapeHtml(form.csrfToken)}">
<div class="actions">
<button type="submit" class="complete" name="${CHALLENGE_FIELDS.result}" value="complete">Complete authentication</button>
<button type="submit" class="fail" name="${CHALLENGE_FIELDS.result}" value="fail">Fail authentication</button>
</div>
</form>`,
    nonce,
  );
}

export type NoticeKind = 'passed' | 'failed' | 'expired' | 'not_found' | 'forbidden' | 'invalid';

const NOTICES: Record<NoticeKind, { title: string; text: string }> = {
  passed: { title: 'Authentication complete', text: 'Authentication complete. You can close this window.' },
  failed: { title: 'Authentication failed', text: 'Authentication failed. You can close this window.' },
  expired: {
    title: 'Authentication expired',
    text: 'This authentication has expired: the payment was not completed in time. Nothing was recorded. You can close this window.',
  },
  not_found: { title: 'Not found', text: 'There is no authentication at this address.' },
  forbidden: {
    title: 'Request refused',
    text: 'This form could not be verified, and nothing was recorded. Open the authentication page again from the shop.',
  },
  invalid: { title: 'Bad request', text: 'The form was incomplete, and nothing was recorded.' },
};

/** A page with one message; `detail` (escaped) adds a sentence, e.g. the field that was wrong. */
export function noticePage(kind: NoticeKind, nonce: string, detail?: string): string {
  const notice = NOTICES[kind];
  return htmlPage(
    notice.title,
    `<h1>${escapeHtml(notice.title)}</h1>\n<p>${escapeHtml(notice.text)}</p>${detail ? `\n<p>${escapeHtml(detail)}</p>` : ''}`,
    nonce,
  );
}

/**
 * The headers of every challenge answer: no framing (we redirect rather than frame), no referrer (the URL is
 * the challenge's secret), no caching, and a CSP that allows only the page's own style and posting the form
 * to itself, which then redirects to the merchant's return URL (CSP checks form-action across redirects).
 */
export function challengeHeaders(nonce: string, returnUrl: string | null): Record<string, string> {
  const returnOrigin = returnUrl ? originOf(returnUrl) : undefined;
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `form-action 'self'${returnOrigin ? ` ${returnOrigin}` : ''}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
}

function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** The merchant's return URL with `payment_id` added, its own query and fragment kept as they were. */
export function returnUrlWithPayment(returnUrl: string, paymentId: string): string {
  const hashAt = returnUrl.indexOf('#');
  const [base, fragment] = hashAt === -1 ? [returnUrl, ''] : [returnUrl.slice(0, hashAt), returnUrl.slice(hashAt)];
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}payment_id=${encodeURIComponent(paymentId)}${fragment}`;
}

import { escapeHtml, htmlPage } from '../receipts/receipt-page';
import { formatAmount } from '../receipts/receipt-facts';

/** What the page shows of a session: the facts the customer needs, nothing the merchant keeps private. */
export interface CheckoutPageFacts {
  sessionId: string;
  merchantName: string;
  amountMinor: number;
  currency: string;
  description: string | null;
  expiresAt: Date;
}

/** The form's fields and the error text shown under each, as the card validation words it. */
export type CheckoutField = 'card_number' | 'card_expiry' | 'card_cvc';
export interface CheckoutFormState {
  csrfToken: string;
  /** Per field: the error shown under it. */
  fieldErrors?: Partial<Record<CheckoutField, string>>;
  /** A decline or refusal of the whole attempt, shown above the form. */
  formError?: string;
  /** What the customer typed, kept on a re-shown form (never the number or the CVC). */
  expiry?: string;
  attemptsLeft: number;
}

// Form controls: 44 px targets, a visible focus ring, error text 7.4:1 on white.
const FORM_STYLE = `
form{margin-top:1rem}
.field{margin-bottom:1rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
input{width:100%;font:inherit;padding:.625rem .75rem;border:1px solid #6b7280;border-radius:6px;min-height:44px;background:#fff;color:#1a1a1a}
input:focus,button:focus{outline:3px solid #1d4ed8;outline-offset:2px}
input[aria-invalid=true]{border-color:#b00020}
.row{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.error{color:#a3001b;margin:.25rem 0 0}
.alert{border:1px solid #a3001b;background:#fff5f5;color:#a3001b;padding:.75rem;border-radius:6px;margin:1rem 0 0}
.hint{color:#555;font-size:.875rem;margin:.25rem 0 0}
button{font:inherit;min-height:44px;border-radius:6px;cursor:pointer}
.pay{width:100%;margin-top:.5rem;padding:.625rem;border:0;background:#1d4ed8;color:#fff;font-weight:700}
.linkish{border:0;background:none;color:#1d4ed8;text-decoration:underline;padding:.5rem 0}
`;

function page(title: string, nonce: string, inner: string): string {
  return htmlPage({ title: escapeHtml(title), nonce, body: `<style nonce="${escapeHtml(nonce)}">${FORM_STYLE}</style>\n${inner}` });
}

/**
 * The one script: names the card's brand as the number is typed (announced politely to screen readers), and
 * disables Pay once the form is sent. The page works without it; the server decides the brand and stops double charges.
 */
const FORM_SCRIPT = `
(function(){
  var number=document.getElementById('card_number'),brand=document.getElementById('card_brand'),form=document.getElementById('pay_form');
  function brandOf(digits){
    if(/^4/.test(digits))return 'Visa';
    if(/^(5[1-5]|2(2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720))/.test(digits))return 'Mastercard';
    if(/^3[47]/.test(digits))return 'American Express';
    return '';
  }
  if(number&&brand)number.addEventListener('input',function(){brand.textContent=brandOf(number.value.replace(/[^0-9]/g,''));});
  if(form)form.addEventListener('submit',function(){var pay=form.querySelector('button.pay');if(pay){setTimeout(function(){pay.disabled=true;pay.textContent='Processing…';},0);}});
})();
`;

function header(facts: CheckoutPageFacts): string {
  return `<p class="muted">${escapeHtml(facts.merchantName)}</p>
<h1>Pay ${escapeHtml(formatAmount(facts.amountMinor, facts.currency))}</h1>
${facts.description ? `<p>${escapeHtml(facts.description)}</p>` : ''}`;
}

function field(id: CheckoutField, label: string, attributes: string, hint: string | null, form: CheckoutFormState, value = ''): string {
  const error = form.fieldErrors?.[id];
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
  return `<div class="field">
<label for="${id}">${label}</label>
<input id="${id}" name="${id}" ${attributes} required${value ? ` value="${escapeHtml(value)}"` : ''}${error ? ' aria-invalid="true"' : ''}${describedBy ? ` aria-describedby="${describedBy}"` : ''}>
${hint ? `<p class="hint" id="${id}-hint">${hint}</p>` : ''}${error ? `<p class="error" id="${id}-error">${escapeHtml(error)}</p>` : ''}
</div>`;
}

/** The payment form: card number, expiry and security code, posted to the page itself with its CSRF token. */
export function renderCheckoutForm(facts: CheckoutPageFacts, form: CheckoutFormState, nonce: string): string {
  const action = `/pay/${encodeURIComponent(facts.sessionId)}`;
  const csrf = `<input type="hidden" name="csrf_token" value="${escapeHtml(form.csrfToken)}">`;
  return page(
    `Pay ${facts.merchantName}`,
    nonce,
    `<div class="card">
${header(facts)}
${form.formError ? `<div class="alert" role="alert" id="form-error">${escapeHtml(form.formError)}</div>` : ''}
<form method="post" action="${action}" id="pay_form" novalidate>
${csrf}
${field('card_number', 'Card number', 'type="text" inputmode="numeric" autocomplete="cc-number" maxlength="23"', null, form)}
<p class="hint" id="card_brand" aria-live="polite"></p>
<div class="row">
${field('card_expiry', 'Expiry date', 'type="text" inputmode="numeric" autocomplete="cc-exp" maxlength="7" placeholder="MM / YY"', 'MM / YY', form, form.expiry)}
${field('card_cvc', 'Security code', 'type="text" inputmode="numeric" autocomplete="cc-csc" maxlength="4"', '3 digits on the back, 4 on the front for American Express', form)}
</div>
<button class="pay" type="submit">Pay ${escapeHtml(formatAmount(facts.amountMinor, facts.currency))}</button>
</form>
<form method="post" action="${action}/cancel">
${csrf}
<button class="linkish" type="submit">Cancel and return to ${escapeHtml(facts.merchantName)}</button>
</form>
<p class="hint">Your card details go to our card vault only; ${escapeHtml(facts.merchantName)} never sees them. ${form.attemptsLeft} attempt${form.attemptsLeft === 1 ? '' : 's'} left.</p>
</div>
<script nonce="${escapeHtml(nonce)}">${FORM_SCRIPT}</script>`,
  );
}

/** A page with a message and nothing to do but, at most, follow one link or wait. */
export function renderCheckoutMessage(
  options: { title: string; message: string; facts?: CheckoutPageFacts; link?: { href: string; text: string } },
  nonce: string,
): string {
  return page(
    options.title,
    nonce,
    `<div class="card">
${options.facts ? header(options.facts) : ''}
${options.facts ? `<h2>${escapeHtml(options.title)}</h2>` : `<h1>${escapeHtml(options.title)}</h1>`}
<p role="status">${escapeHtml(options.message)}</p>
${options.link ? `<p><a href="${escapeHtml(options.link.href)}">${escapeHtml(options.link.text)}</a></p>` : ''}
</div>`,
  );
}

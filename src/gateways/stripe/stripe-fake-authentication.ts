import type http from 'node:http';
import type { StoredPaymentIntent } from './stripe-fake-account';
import type { FakePaymentIntent } from './stripe-fake-objects';

/** Stripe's hosted 3-D Secure page, reduced to two links; completing it sends the customer to the return_url as Stripe does. */
export function authenticationPage(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  locate: (id: string) => { stored: StoredPaymentIntent },
  complete: (id: string, succeed: boolean) => FakePaymentIntent,
): void {
  const url = new URL(req.url ?? '/', 'http://stripe-fake');
  const match = /^\/authenticate\/([A-Za-z0-9_]+)(\/complete)?$/.exec(url.pathname);
  let stored: StoredPaymentIntent | undefined;
  try {
    stored = match ? locate(match[1]).stored : undefined;
  } catch {
    stored = undefined;
  }
  if (!match || !stored) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No such PaymentIntent');
  const id = match[1];
  if (!match[2]) {
    const page = `<!doctype html><title>3D Secure test page</title><p>Test payment ${id}</p><a href="/authenticate/${id}/complete?succeed=true">Complete</a> <a href="/authenticate/${id}/complete?succeed=false">Fail</a>`;
    return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(page);
  }
  const action = stored.object.next_action;
  const returnUrl = action?.type === 'redirect_to_url' ? action.redirect_to_url.return_url : undefined;
  let after: FakePaymentIntent;
  try {
    after = complete(id, url.searchParams.get('succeed') !== 'false');
  } catch {
    return void res.writeHead(409, { 'Content-Type': 'text/plain' }).end('This PaymentIntent is not waiting for authentication.');
  }
  if (!returnUrl) return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Authentication finished.');
  const target = new URL(returnUrl);
  target.searchParams.set('payment_intent', after.id);
  target.searchParams.set('payment_intent_client_secret', after.client_secret);
  target.searchParams.set('redirect_status', after.status === 'requires_payment_method' ? 'failed' : 'succeeded');
  res.writeHead(302, { Location: target.toString() }).end();
}

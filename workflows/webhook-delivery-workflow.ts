import { defineQuery, proxyActivities, setCurrentDetails, setHandler, sleep, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { RETRY_DELAYS_MS } from '../src/webhooks/event-types';

export interface WebhookDeliveryInput {
  eventId: string;
  endpointId: string;
  merchantId: string;
  eventType: string;
  /** Tests and demos (WEBHOOK_RETRY_TIME_SCALE): the waits between attempts are divided by it. Absent: 1, as recorded histories were. */
  retryTimeScale?: number;
}

export interface WebhookDeliveryState {
  status: 'delivering' | 'delivered' | 'gone' | 'endpoint_unavailable' | 'exhausted';
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
}

/** Where the delivery stands: attempts so far and when the next one is due. */
export const getDeliveryStateQuery = defineQuery<WebhookDeliveryState>('getDeliveryState');

const options: ActivityOptions = {
  // The endpoint's own timeout is 12 s; this covers it and the bookkeeping. Retries are for our faults only.
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
const { deliverWebhook, disableEndpointIfFailingSince } = proxyActivities<Activities>(options);

/** ±10 %: workflow randomness is deterministic on replay. */
const withJitter = (ms: number) => Math.round(ms * (0.9 + Math.random() * 0.2));

/** One event to one endpoint: attempts on a schedule of about three days, honouring Retry-After; it never holds up the payment that raised the event. */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryState> {
  const state: WebhookDeliveryState = { status: 'delivering', attempts: 0, nextAttemptAt: null, lastStatusCode: null };
  setHandler(getDeliveryStateQuery, () => state);
  const startedAt = new Date().toISOString();
  for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length + 1; attempt++) {
    state.attempts = attempt;
    const outcome = await deliverWebhook.executeWithOptions({ ...options, summary: `deliver ${input.eventType} (attempt ${attempt})` }, [
      { eventId: input.eventId, endpointId: input.endpointId, attempt },
    ]);
    if (outcome.result === 'succeeded') {
      Object.assign(state, { status: 'delivered', nextAttemptAt: null, lastStatusCode: outcome.statusCode });
      setCurrentDetails(`delivered on attempt ${attempt}`);
      return state;
    }
    if (outcome.result === 'gone' || outcome.result === 'endpoint_unavailable') {
      Object.assign(state, { status: outcome.result, nextAttemptAt: null });
      setCurrentDetails(
        outcome.result === 'gone' ? 'the endpoint answered 410 Gone and was disabled' : 'the endpoint is disabled or deleted',
      );
      return state;
    }
    state.lastStatusCode = outcome.statusCode;
    if (attempt > RETRY_DELAYS_MS.length) break;
    const scheduled = Math.max(withJitter(RETRY_DELAYS_MS[attempt - 1]), outcome.retryAfterMs ?? 0);
    const delay = input.retryTimeScale && input.retryTimeScale !== 1 ? Math.round(scheduled / input.retryTimeScale) : scheduled;
    state.nextAttemptAt = new Date(Date.now() + delay).toISOString();
    setCurrentDetails(`attempt ${attempt} failed (${outcome.statusCode ?? 'no answer'}); next attempt at ${state.nextAttemptAt}`);
    await sleep(delay);
  }
  await disableEndpointIfFailingSince({ endpointId: input.endpointId, since: startedAt });
  Object.assign(state, { status: 'exhausted', nextAttemptAt: null });
  setCurrentDetails(`gave up after ${state.attempts} attempts`);
  return state;
}

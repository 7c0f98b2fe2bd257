import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SendReceiptEmailInput, SendReceiptEmailResult } from '../activities/receipt-email-activities';

export type ReceiptEmailInput = SendReceiptEmailInput;

// A mail server away for a while is waited out, for up to three days, as webhooks are; each try is one SMTP exchange.
const { sendReceiptEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '3d',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1h' },
});

/** The receipt email of one event (`receipt-email-<event id>`): sent once, retried until the mail server takes it. */
export async function receiptEmailWorkflow(input: ReceiptEmailInput): Promise<SendReceiptEmailResult> {
  return sendReceiptEmail(input);
}

export function receiptEmailWorkflowId(eventId: string): string {
  return `receipt-email-${eventId}`;
}

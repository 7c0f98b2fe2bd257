import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { testDataConverter } from '../support/temporal-codec';

try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed */
}

const HISTORIES = path.join(__dirname, 'histories');
const files = fs
  .readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .sort();

describe('recorded payment, refund, dispute, webhook and finance histories replay with the current workflow code', () => {
  it('when the recordings are listed, then every payment, refund and dispute path is covered', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'payment-automatic-capture.json',
        'payment-card-declined.json',
        'payment-fraud-blocked.json',
        'payment-gateway-timeout-retried.json',
        'payment-manual-cancel.json',
        'payment-manual-partial-capture.json',
        'payment-review-approved.json',
        'payment-review-declined.json',
        'payment-review-timeout.json',
        'refund-succeeded.json',
        'refund-gateway-failed.json',
        'dispute-won-after-evidence.json',
        'dispute-accepted.json',
        'webhook-delivered-after-retry.json',
        'settlement-run.json',
        'ledger-daily-check.json',
        'fee-invoice-run.json',
        'sandbox-reconciliation.json',
        'subscription-lifecycle.json',
        'payment-stripe-manual-capture.json',
        'payment-stripe-authentication-completed.json',
        'payment-stripe-authentication-failed.json',
        'payment-stripe-answer-lost.json',
        'refund-stripe.json',
        'refund-stripe-pending.json',
        'payment-stripe-failover.json',
        'payment-adyen-capture-confirmed-late.json',
        'payment-adyen-cancel-confirmed.json',
        'payment-adyen-technical-cancel.json',
        'refund-adyen.json',
        'payout-paid.json',
        'payout-failed.json',
        'payout-returned.json',
        'payout-canceled.json',
        'payout-stripe-paid.json',
        'payout-stripe-refused.json',
        'payout-stripe-returned.json',
        'automatic-payout-run.json',
        'automatic-payout-already-started.json',
        'data-retention-before-events.json',
        'stripe-payout-reconciliation.json',
        'automatic-payout-stripe.json',
        'payout-stripe-paid-by-event.json',
        'payout-stripe-nudged-unchanged.json',
        'payout-stripe-returned-by-event.json',
        'report-run-succeeded-csv.json',
        'report-run-succeeded-json.json',
        'report-run-failed.json',
        'data-retention-expired-files.json',
      ]),
    );
  });

  it.each(files)('when %s is replayed, then no non-determinism is raised', async (file) => {
    const history = JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'));
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter },
        history,
        file,
      ),
    ).resolves.toBeUndefined();
  });
});

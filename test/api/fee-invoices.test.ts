import { beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { periodOf, periodWindow, previousPeriod, type PeriodWindow } from '../../src/billing/billing-period';
import { FeeInvoiceService, type IssuedFeeInvoice } from '../../src/billing/fee-invoice-service';
import { randomBase62 } from '../../src/shared/ids';
import { useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { capturePayment, createPayment, simulateDispute } from '../support/api-calls';
import { expectLedgerBalanced, merchantBalances, platformTotalsFor } from '../support/ledger';

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started));

// The payments below are captured now, so the month under test is this one, issued as of the
// first instant of the next: what the monthly run does on the 1st.
const window = periodWindow(periodOf(new Date())) as PeriodWindow;
const { period } = window;
const invoices = () => new FeeInvoiceService({ orm: stack.orm, defaultFees: stack.config.fees, now: () => window.end });

const query = async <T = Record<string, any>>(text: string, params: unknown[] = []) =>
  stack.orm.em.getConnection().execute<T[]>(text, params);
const count = async (table: string) => Number((await query<{ n: string }>(`select count(*) as n from ${table}`))[0].n);
const feeRevenue = async (currency = 'USD') =>
  Number(
    (
      await query<{ total: string }>(
        `select coalesce(sum(amount_minor), 0) as total from ledger_postings where account = 'platform:fee_revenue' and currency = ?`,
        [currency],
      )
    )[0].total,
  );

/** What the ledger itself says the merchant's fees payable received in the month, independent of the service. */
async function feesWithheldInMonth(merchantId: string, currency = 'USD'): Promise<number> {
  const [row] = await query<{ total: string }>(
    `select coalesce(sum(amount_minor), 0) as total from ledger_postings
      where account = ? and currency = ? and amount_minor > 0 and created_at >= ? and created_at < ?`,
    [`merchant:${merchantId}:fees_payable`, currency, window.start, window.end],
  );
  return Number(row.total);
}

const toMinor = (major: number) => Math.round(major * 100);

describe('monthly fee invoices', () => {
  let acme: TestMerchant;
  let ownPricing: TestMerchant;
  let repriced: TestMerchant;
  let acmePayments: { id: string }[];
  let revenueBefore: number;
  let issued: IssuedFeeInvoice[];
  let acmeInvoiceId: string;

  beforeAll(async () => {
    // Acme: default pricing (2.90% + 0.30), with ties that round half to even, a partial capture, a decline and a dispute.
    acme = await stack.createMerchant('<b>Acme & Co</b>');
    const full = await createPayment(stack, acme, { amount: 100 });
    const tieDown = await createPayment(stack, acme, { amount: 5, source: 'tok_mastercard' });
    const tieUp = await createPayment(stack, acme, { amount: 15, source: 'tok_amex' });
    const authorized = await createPayment(stack, acme, { amount: 80, capture: false });
    const partial = await capturePayment(stack, acme, authorized.id, { amount: 50 });
    expect(partial).toMatchObject({ status: 'succeeded', amount_received: 50 });
    expect((await createPayment(stack, acme, { amount: 30, source: 'tok_chargeDeclined' })).status).toBe('failed');
    const disputed = await createPayment(stack, acme, { amount: 20 });
    const dispute = await simulateDispute(stack, acme, disputed.id);
    expect(dispute).toMatchObject({ status: 'needs_response', fee: 15 });
    acmePayments = [full, tieDown, tieUp, authorized, disputed];

    // Its own pricing (1.50% + 0.10), in two currencies.
    ownPricing = await stack.createMerchant('Own pricing Ltd', { fee_percent_bps: 150, fee_fixed_minor: 10 });
    await createPayment(stack, ownPricing, { amount: 200 });
    await createPayment(stack, ownPricing, { amount: 33.33 });
    await createPayment(stack, ownPricing, { amount: 50, currency: 'EUR' });

    // Repriced after its charges: the pricing now in force (0.00% + 0.59) explains the 10.00 charge's 0.59 but not the 100.00 charge's 3.20.
    repriced = await stack.createMerchant('Repriced GmbH');
    await createPayment(stack, repriced, { amount: 10 });
    await createPayment(stack, repriced, { amount: 100 });
    await query(`update merchants set fee_percent_bps = 0, fee_fixed_minor = 59 where id = ?`, [repriced.id]);

    revenueBefore = await feeRevenue();
    // Only this file's merchants: other files share the database and keep their fees payable.
    ({ issued } = await invoices().issueFeeInvoices(period, undefined, { merchantIds: [acme.id, ownPricing.id, repriced.id] }));
    acmeInvoiceId = issued.find((invoice) => invoice.merchantId === acme.id)?.id as string;
  });

  it("when a month with a partial capture, a decline and a dispute is invoiced, then the total is the withheld fees, every capture's fee and the dispute fee, itemized", async () => {
    const withheld = await feesWithheldInMonth(acme.id);
    const capturedFees = await Promise.all(
      acmePayments.map(async ({ id }) => (await stack.request('GET', `/v1/payments/${id}`, { apiKey: acme.apiKey })).body.fee as number),
    );
    // 3.20 + 0.44 (14.5 rounds to 14) + 0.74 (43.5 rounds to 44) + 1.75 (on the 50.00 captured, not the 80.00 authorized) + 0.88.
    expect(capturedFees.map(toMinor)).toEqual([320, 44, 74, 175, 88]);
    expect(withheld).toBe(701);

    const { body: invoice } = await stack.request('GET', `/v1/billing/invoices/${acmeInvoiceId}`, { apiKey: acme.apiKey });
    expect(invoice).toMatchObject({
      object: 'fee_invoice',
      merchant_id: acme.id,
      merchant_name: '<b>Acme & Co</b>',
      period,
      currency: 'USD',
      status: 'paid',
      period_start: window.start.toISOString().replace('.000', ''),
      period_end: window.end.toISOString().replace('.000', ''),
      processing_fees: 7.01,
      dispute_fees: 15,
      total: 22.01,
      amount_paid: 22.01,
      amount_due: 0,
      created_at: window.end.toISOString().replace('.000', ''),
    });
    expect(invoice.number).toMatch(new RegExp(`^FI-${period}-\\d{5}$`));
    expect(toMinor(invoice.processing_fees)).toBe(withheld);
    expect(toMinor(invoice.processing_fees)).toBe(capturedFees.map(toMinor).reduce((a, b) => a + b, 0));
    expect(invoice.lines).toEqual([
      {
        kind: 'processing_fees',
        description: 'Card processing fees',
        quantity: 5,
        volume: 190,
        fee_percent_bps: 290,
        fee_fixed: 0.3,
        unit_description: '2.90% + 0.30 per charge',
        amount: 7.01,
      },
      {
        kind: 'dispute_fees',
        description: 'Dispute fees',
        quantity: 1,
        volume: null,
        fee_percent_bps: 0,
        fee_fixed: 15,
        unit_description: '15.00 per dispute',
        amount: 15,
      },
    ]);
    const linesSum = invoice.lines.reduce((sum: number, line: { amount: number }) => sum + toMinor(line.amount), 0);
    expect(linesSum).toBe(toMinor(invoice.total));
  });

  it('when the invoice is issued, then fees payable is emptied into fee revenue by exactly the invoiced fees, in one entry per invoice', async () => {
    expect((await merchantBalances(stack.orm, acme.id)).fees_payable).toBe(0);
    expect((await platformTotalsFor(stack.orm, acme.id))['platform:fee_revenue']).toBe(701);
    const [entry] = await query(
      `select id, idempotency_key, merchant_id from ledger_entries where source_type = 'fee_invoice' and source_id = ?`,
      [acmeInvoiceId],
    );
    expect(entry).toMatchObject({ idempotency_key: `fee_invoice:${acme.id}:${period}:USD`, merchant_id: acme.id });
    expect((await stack.request('GET', `/v1/billing/invoices/${acmeInvoiceId}`, { apiKey: acme.apiKey })).body.ledger_entry_id).toBe(
      entry.id,
    );

    // Across every merchant the run invoiced: revenue gained exactly the withheld fees of the USD invoices.
    const ids = issued.filter((invoice) => invoice.currency === 'USD').map((invoice) => invoice.id);
    const [stored] = await query<{ total: string }>(
      `select sum(processing_fees_minor) as total from fee_invoices where id in (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect((await feeRevenue()) - revenueBefore).toBe(Number(stored.total));
    await expectLedgerBalanced(stack.orm);
  });

  it('when a merchant has its own pricing and two currencies, then it gets one invoice per currency priced at its rate', async () => {
    const { body: list } = await stack.request('GET', `/v1/billing/invoices?period=${period}`, { apiKey: ownPricing.apiKey });
    expect(list.data.map((invoice: { currency: string }) => invoice.currency).sort()).toEqual(['EUR', 'USD']);
    const usd = list.data.find((invoice: { currency: string }) => invoice.currency === 'USD');
    // 1.50% of 200.00 = 3.00, of 33.33 = 0.49995 → 0.50; plus 0.10 each.
    expect(usd).toMatchObject({ total: 3.7, processing_fees: 3.7, dispute_fees: 0 });
    expect(usd.lines).toEqual([
      {
        kind: 'processing_fees',
        description: 'Card processing fees',
        quantity: 2,
        volume: 233.33,
        fee_percent_bps: 150,
        fee_fixed: 0.1,
        unit_description: '1.50% + 0.10 per charge',
        amount: 3.7,
      },
    ]);
    expect(toMinor(usd.total)).toBe(await feesWithheldInMonth(ownPricing.id));
    expect(list.data.find((invoice: { currency: string }) => invoice.currency === 'EUR')).toMatchObject({
      total: 0.85,
      lines: [{ volume: 50, amount: 0.85 }],
    });
    expect(await merchantBalances(stack.orm, ownPricing.id, 'EUR')).toMatchObject({ fees_payable: 0 });
  });

  it('when the pricing changed after some charges, then the charges it does not explain get their own line, as withheld', async () => {
    const { body: list } = await stack.request('GET', `/v1/billing/invoices?period=${period}`, { apiKey: repriced.apiKey });
    expect(list.data).toHaveLength(1);
    expect(list.data[0].lines).toEqual([
      {
        kind: 'processing_fees',
        description: 'Card processing fees',
        quantity: 1,
        volume: 10,
        fee_percent_bps: 0,
        fee_fixed: 0.59,
        unit_description: '0.00% + 0.59 per charge',
        amount: 0.59,
      },
      {
        kind: 'processing_fees',
        description: 'Card processing fees at earlier pricing',
        quantity: 1,
        volume: 100,
        fee_percent_bps: null,
        fee_fixed: null,
        unit_description: 'as priced at each charge',
        amount: 3.2,
      },
    ]);
    expect(toMinor(list.data[0].total)).toBe(await feesWithheldInMonth(repriced.id));
  });

  it('when the month is invoiced again, then nothing new is created and invoice numbers stay gapless', async () => {
    const tables = ['fee_invoices', 'fee_invoice_lines', 'ledger_entries', 'ledger_postings'];
    const before = await Promise.all(tables.map(count));
    const again = await invoices().issueFeeInvoices(period, undefined, { merchantIds: [acme.id, ownPricing.id, repriced.id] });
    expect(again.issued).toEqual([]);
    expect(again.merchantsScanned).toBe(3);
    expect(await Promise.all(tables.map(count))).toEqual(before);
    const sequences = (
      await query<{ sequence: number }>(`select sequence from fee_invoices where period = ? order by sequence`, [period])
    ).map((row) => row.sequence);
    expect(sequences).toEqual(sequences.map((_, index) => index + 1));
  });

  it('when the month has not ended, or the period is malformed, then issuing is refused and nothing is written', async () => {
    const before = await count('fee_invoices');
    const service = new FeeInvoiceService({ orm: stack.orm, defaultFees: stack.config.fees });
    await expect(service.issueFeeInvoices(period)).rejects.toMatchObject({ name: 'FeeInvoicePeriodError', reason: 'not_ended' });
    await expect(service.issueFeeInvoices(period, new Date(window.end.getTime() - 1))).rejects.toMatchObject({ reason: 'not_ended' });
    await expect(invoices().issueFeeInvoices('2026-13')).rejects.toMatchObject({ reason: 'invalid' });
    expect(await count('fee_invoices')).toBe(before);
  });

  it('when the receipt is downloaded, then it is an HTML attachment named by the number, showing number and total, with the merchant name escaped', async () => {
    const { body: invoice } = await stack.request('GET', `/v1/billing/invoices/${acmeInvoiceId}`, { apiKey: acme.apiKey });
    const response = await fetch(`${stack.baseUrl}/v1/billing/invoices/${acmeInvoiceId}/receipt`, {
      headers: { authorization: `Bearer ${acme.apiKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${invoice.number}.html"`);
    const html = await response.text();
    expect(html).toContain(`<title>Fee invoice ${invoice.number}</title>`);
    expect(html).toContain('USD 22.01');
    expect(html).toContain('USD 7.01');
    expect(html).toContain('2.90% + 0.30 per charge');
    expect(html).toContain('&lt;b&gt;Acme &amp; Co&lt;/b&gt;');
    expect(html).not.toContain('<b>Acme');
    expect(html).not.toMatch(/<script|https?:\/\//i);
  });

  it('when invoices are listed, then they come newest first, page by cursor, and filter by period', async () => {
    const first = await stack.request('GET', `/v1/billing/invoices?limit=1`, { apiKey: ownPricing.apiKey });
    expect(first.body).toMatchObject({ object: 'list', has_more: true });
    const second = await stack.request('GET', `/v1/billing/invoices?limit=1&starting_after=${first.body.data[0].id}`, {
      apiKey: ownPricing.apiKey,
    });
    expect(second.body.has_more).toBe(false);
    // Both were issued at the same instant: the id breaks the tie, descending.
    expect([first.body.data[0].id, second.body.data[0].id]).toEqual([first.body.data[0].id, second.body.data[0].id].sort().reverse());
    expect(
      (await stack.request('GET', `/v1/billing/invoices?period=${previousPeriod(window.start)}`, { apiKey: ownPricing.apiKey })).body.data,
    ).toEqual([]);
  });

  it("when another merchant asks for an invoice or its receipt, then 404, and it never appears in that merchant's list", async () => {
    for (const path of [`/v1/billing/invoices/${acmeInvoiceId}`, `/v1/billing/invoices/${acmeInvoiceId}/receipt`]) {
      const response = await stack.request('GET', path, { apiKey: merchant.apiKey });
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        error: 'Fee invoice not found',
        code: 'resource_missing',
        param: 'id',
        request_id: expect.any(String),
      });
    }
    expect((await stack.request('GET', '/v1/billing/invoices', { apiKey: merchant.apiKey })).body.data).toEqual([]);
    expect((await stack.request('GET', `/v1/billing/invoices?starting_after=${acmeInvoiceId}`, { apiKey: merchant.apiKey })).status).toBe(
      400,
    );
    expect((await stack.request('GET', `/v1/billing/invoices/${acmeInvoiceId}`)).status).toBe(401);
  });

  it.each([
    ['/v1/billing/invoices/inv_123', 'id'],
    ['/v1/billing/invoices/fi_short/receipt', 'id'],
    ['/v1/billing/invoices?period=2026-13', 'period'],
    ['/v1/billing/invoices?period=202611', 'period'],
    ['/v1/billing/invoices?limit=0', 'limit'],
    ['/v1/billing/invoices?month=2026-11', 'month'],
  ])('when %s is requested, then 400 names %s', async (path, param) => {
    const response = await stack.request('GET', path, { apiKey: acme.apiKey });
    expect(response.status).toBe(400);
    expect(response.body.param).toBe(param);
  });
});

describe('the monthly run as a Temporal workflow', () => {
  const run = (input: Record<string, unknown>) =>
    stack.client.workflow.execute('feeInvoiceRunWorkflow', {
      workflowId: `fee-invoices-test-${randomBase62(10)}`,
      taskQueue: stack.taskQueue,
      args: [input],
    });

  it('when the run is started for a period, then it issues the invoices not yet issued, a batch of merchants per activity', async () => {
    const late = await stack.createMerchant('Late starter');
    await createPayment(stack, late, { amount: 10 });
    const quiet = await stack.createMerchant('Quiet');
    // Three merchants in batches of two, and only the late starter has fees to invoice.
    const result = await run({ period, asOf: window.end.toISOString(), batchSize: 2, merchantIds: [late.id, merchant.id, quiet.id] });
    expect(result).toEqual({ period, asOf: window.end.toISOString(), batches: 2, merchantsScanned: 3, invoicesIssued: 1 });
    const { body: list } = await stack.request('GET', '/v1/billing/invoices', { apiKey: late.apiKey });
    expect(list.data).toHaveLength(1);
    expect(list.data[0]).toMatchObject({ period, total: 0.59, status: 'paid' });
    expect((await merchantBalances(stack.orm, late.id)).fees_payable).toBe(0);
  });

  it('when the run has no period, then it invoices the month before its start', async () => {
    const result = await run({});
    expect(result.period).toBe(previousPeriod(new Date()));
  });

  it('when the run is asked for a month that has not ended, then it fails as not retryable and issues nothing', async () => {
    const before = await count('fee_invoices');
    const failure = await run({ period }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.cause).toMatchObject({ type: 'FeeInvoicePeriodNotEnded', nonRetryable: true });
    expect(await count('fee_invoices')).toBe(before);
  });
});

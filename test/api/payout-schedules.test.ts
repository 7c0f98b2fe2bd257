import { afterAll, describe, expect, it } from 'vitest';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { sqlFor } from '../../src/db/sql';
import { arePayoutsPaused } from '../../src/payouts/payout-schedule-repository';
import { payoutScheduleId } from '../../src/payouts/payout-state';
import { newId } from '../../src/shared/ids';
import { eventually, TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { makeAvailable } from '../support/ledger';

let stack: TestStack;
useTestStack((started) => ({ stack } = started), {
  // An automatic payout triggered here goes to the bank within seconds and arrives a second later.
  env: {
    PAYOUT_SUBMIT_DELAY_MS: '500',
    SANDBOX_BANK_TRANSIT_MS: '1000',
    PAYOUT_RETURN_WATCH_MS: '1000',
    PAYOUT_RETURN_CHECK_EVERY_MS: '500',
  },
});

const DAY = 86_400_000;
const created: string[] = [];
/** A merchant of its own per test; its schedule is deleted after the file, so no run fires later on the shared server. */
async function fresh(): Promise<TestMerchant> {
  const merchant = await stack.createMerchant('Payout schedules');
  created.push(merchant.id);
  return merchant;
}
afterAll(async () => {
  for (const id of created)
    await scheduleOf(id)
      .delete()
      .catch(() => undefined);
});
const getSettings = (merchant: TestMerchant) => stack.request('GET', '/v1/payout_schedule', { apiKey: merchant.apiKey });
const save = (merchant: TestMerchant, body: unknown) => stack.request('POST', '/v1/payout_schedule', { apiKey: merchant.apiKey, body });
const admin = (merchantId: string, action: 'pause' | 'resume', body?: unknown, apiKey = TEST_ADMIN_KEY) =>
  stack.request('POST', `/v1/admin/merchants/${encodeURIComponent(merchantId)}/payouts/${action}`, { apiKey, body });
const scheduleOf = (merchantId: string) => stack.client.schedule.getHandle(payoutScheduleId(merchantId));
const paused = (merchantId: string) => arePayoutsPaused(sqlFor(stack.orm.em.fork()), merchantId);
const daysInMonth = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();

const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);
const storedRow = async (merchantId: string) => (await sql(`select * from payout_schedules where merchant_id = ?`, [merchantId]))[0];

/** A Stripe gateway account of the merchant's as the API stores one; the schedule reads only the row, never Stripe. */
async function stripeAccountOf(merchantId: string, options: { livemode?: boolean } = {}): Promise<string> {
  const id = newId('gwa');
  await sql(
    `insert into gateway_accounts (id, merchant_id, gateway, livemode, status, currencies, priority, created_at, updated_at)
     values (?, ?, 'stripe', ?, 'verified', '{}', 100, now(), now())`,
    [id, merchantId, options.livemode ?? false],
  );
  return id;
}

async function scheduleExists(merchantId: string): Promise<boolean> {
  try {
    await scheduleOf(merchantId).describe();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

describe('payout settings', () => {
  it('when a merchant never chose any, then it is on manual, not paused, and has no Temporal Schedule', async () => {
    const merchant = await fresh();
    const answer = await getSettings(merchant);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      object: 'payout_schedule',
      interval: 'manual',
      weekly_anchor: null,
      monthly_anchor: null,
      delay_days: 0,
      minimum_amounts: {},
      gateway_account: null,
      paused: false,
      run_hour_utc: 4,
      updated_at: null,
    });
    expect(await scheduleExists(merchant.id)).toBe(false);
  });

  it('when a field is wrong, then 400 names it, and nothing is stored or scheduled', async () => {
    const merchant = await fresh();
    const cases: [unknown, string, string][] = [
      [{ interval: 'hourly' }, 'parameter_invalid', 'interval'],
      [{ interval: 'weekly' }, 'parameter_missing', 'weekly_anchor'],
      [{ interval: 'monthly' }, 'parameter_missing', 'monthly_anchor'],
      [{ interval: 'daily', weekly_anchor: 'monday' }, 'parameter_invalid', 'weekly_anchor'],
      [{ interval: 'weekly', weekly_anchor: 'monday', monthly_anchor: 3 }, 'parameter_invalid', 'monthly_anchor'],
      [{ interval: 'weekly', weekly_anchor: 'funday' }, 'parameter_invalid', 'weekly_anchor'],
      [{ interval: 'monthly', monthly_anchor: 32 }, 'parameter_invalid', 'monthly_anchor'],
      [{ interval: 'monthly', monthly_anchor: 0 }, 'parameter_invalid', 'monthly_anchor'],
      [{ interval: 'monthly', monthly_anchor: 1.5 }, 'parameter_invalid', 'monthly_anchor'],
      [{ delay_days: 31 }, 'parameter_invalid', 'delay_days'],
      [{ delay_days: -1 }, 'parameter_invalid', 'delay_days'],
      [{ delay_days: '2' }, 'parameter_invalid', 'delay_days'],
      [{ minimum_amounts: { USD: 0.001 } }, 'parameter_invalid', 'minimum_amounts'],
      [{ minimum_amounts: { JPY: 10.5 } }, 'parameter_invalid', 'minimum_amounts'],
      [{ minimum_amounts: { USD: 0 } }, 'parameter_invalid', 'minimum_amounts'],
      [{ minimum_amounts: { usd: 5, USD: 6 } }, 'parameter_invalid', 'minimum_amounts'],
      [{ minimum_amounts: [5] }, 'parameter_invalid', 'minimum_amounts'],
      [{ interval: 'daily', paused: false }, 'parameter_unknown', 'paused'],
    ];
    const answers = [];
    for (const [body] of cases) {
      const answer = await save(merchant, body);
      answers.push([answer.status, answer.body.code, answer.body.param]);
    }
    expect(answers).toEqual(cases.map(([, code, param]) => [400, code, param]));
    const unknownCurrency = await save(merchant, { minimum_amounts: { XYZ: 5 } });
    expect(unknownCurrency.status).toBe(400);
    expect(unknownCurrency.body.param).toMatch(/^minimum_amounts/);
    expect((await getSettings(merchant)).body).toMatchObject({ interval: 'manual', updated_at: null });
    const [{ n }] = await stack.orm.em
      .getConnection()
      .execute(`select count(*)::int as n from payout_schedules where merchant_id = ?`, [merchant.id]);
    expect(n).toBe(0);
    expect(await scheduleExists(merchant.id)).toBe(false);
  });

  it('when daily is chosen, then a Temporal Schedule runs the automatic payout workflow every day at 04:00 UTC, skipping overlaps', async () => {
    const merchant = await fresh();
    const saved = await save(merchant, { interval: 'daily', delay_days: 2, minimum_amounts: { eur: 25.5, JPY: 1000 } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ interval: 'daily', delay_days: 2, minimum_amounts: { EUR: 25.5, JPY: 1000 }, paused: false });
    expect((await getSettings(merchant)).body).toEqual(saved.body);
    const [row] = await stack.orm.em
      .getConnection()
      .execute(`select minimum_amounts from payout_schedules where merchant_id = ?`, [merchant.id]);
    expect(row.minimum_amounts).toEqual({ EUR: 2550, JPY: 1000 });

    const description = await scheduleOf(merchant.id).describe();
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'automaticPayoutWorkflow',
      workflowId: payoutScheduleId(merchant.id),
      taskQueue: stack.taskQueue,
      args: [{ merchantId: merchant.id }],
    });
    expect(description.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(description.spec.calendars).toHaveLength(1);
    expect(description.state.paused).toBe(false);
    const times = description.info.nextActionTimes;
    expect(times.length).toBeGreaterThan(2);
    for (const [index, time] of times.entries()) {
      expect(time.toISOString()).toMatch(/T04:00:00\.000Z$/);
      if (index > 0) expect(time.getTime() - times[index - 1].getTime()).toBe(DAY);
    }
  });

  it('when weekly on wednesday, then every run is a Wednesday; when monthly on the 31st, then the last day of every month', async () => {
    const merchant = await fresh();
    expect((await save(merchant, { interval: 'weekly', weekly_anchor: 'wednesday' })).status).toBe(200);
    const weekly = (await scheduleOf(merchant.id).describe()).info.nextActionTimes;
    expect(weekly.length).toBeGreaterThan(2);
    for (const [index, time] of weekly.entries()) {
      expect([time.getUTCDay(), time.getUTCHours()]).toEqual([3, 4]);
      if (index > 0) expect(time.getTime() - weekly[index - 1].getTime()).toBe(7 * DAY);
    }

    const monthly = await save(merchant, { interval: 'monthly', monthly_anchor: 31 });
    // The weekly anchor goes with the weekly interval.
    expect(monthly.body).toMatchObject({ interval: 'monthly', weekly_anchor: null, monthly_anchor: 31 });
    const runs = (await scheduleOf(merchant.id).describe()).info.nextActionTimes;
    expect(runs.length).toBeGreaterThan(3);
    for (const [index, time] of runs.entries()) {
      expect(time.getUTCDate()).toBe(daysInMonth(time));
      if (index > 0)
        expect(
          time.getUTCFullYear() * 12 + time.getUTCMonth() - (runs[index - 1].getUTCFullYear() * 12 + runs[index - 1].getUTCMonth()),
        ).toBe(1);
    }

    expect((await save(merchant, { monthly_anchor: 15 })).body).toMatchObject({ interval: 'monthly', monthly_anchor: 15 });
    for (const time of (await scheduleOf(merchant.id).describe()).info.nextActionTimes) expect(time.getUTCDate()).toBe(15);
  });

  it('when manual is chosen again, then the Temporal Schedule is deleted and the anchors cleared', async () => {
    const merchant = await fresh();
    await save(merchant, { interval: 'monthly', monthly_anchor: 1 });
    expect(await scheduleExists(merchant.id)).toBe(true);
    const manual = await save(merchant, { interval: 'manual' });
    expect(manual.body).toMatchObject({ interval: 'manual', monthly_anchor: null, weekly_anchor: null });
    expect(await scheduleExists(merchant.id)).toBe(false);
    // Saying manual again is no error, with or without a schedule.
    expect((await save(merchant, { interval: 'manual' })).status).toBe(200);
  });
});

describe('the destination of automatic payouts', () => {
  it('when a Stripe gateway account is named, then it is stored and read back, kept by changes that leave it out, and null clears it', async () => {
    const merchant = await fresh();
    const account = await stripeAccountOf(merchant.id);
    const saved = await save(merchant, { interval: 'daily', gateway_account: account });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ interval: 'daily', gateway_account: account });
    expect((await getSettings(merchant)).body).toEqual(saved.body);
    expect((await storedRow(merchant.id)).gateway_account_id).toBe(account);

    const other = await save(merchant, { delay_days: 2 });
    expect(other.body).toMatchObject({ delay_days: 2, gateway_account: account });
    // Ops see it too.
    expect((await admin(merchant.id, 'pause', { reason: 'Checking' })).body).toMatchObject({ gateway_account: account });
    await admin(merchant.id, 'resume');

    const cleared = await save(merchant, { gateway_account: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ interval: 'daily', delay_days: 2, gateway_account: null });
    expect((await getSettings(merchant)).body.gateway_account).toBeNull();
    expect((await storedRow(merchant.id)).gateway_account_id).toBeNull();
  });

  it('when gateway_account is unknown, not the merchant’s, not Stripe, disabled or malformed, then a 400 names it and the stored schedule is unchanged', async () => {
    const merchant = await fresh();
    const good = await stripeAccountOf(merchant.id);
    const before = await save(merchant, { interval: 'weekly', weekly_anchor: 'friday', gateway_account: good });
    expect(before.status).toBe(200);
    const row = await storedRow(merchant.id);
    const scheduled = (await scheduleOf(merchant.id).describe()).spec;

    const someoneElse = await fresh();
    const othersAccount = await stripeAccountOf(someoneElse.id);
    const liveAccount = await stripeAccountOf(merchant.id, { livemode: true });
    const sandbox = await stack.request('POST', '/v1/gateway_accounts', { apiKey: merchant.apiKey, body: { gateway: 'sandbox' } });
    expect(sandbox.status, JSON.stringify(sandbox.body)).toBe(201);
    const disabled = await stripeAccountOf(merchant.id);
    expect((await stack.request('DELETE', `/v1/gateway_accounts/${disabled}`, { apiKey: merchant.apiKey })).status).toBe(200);

    const cases: [unknown, string, string?][] = [
      ['gwa_nope', 'resource_missing'],
      [othersAccount, 'resource_missing'],
      // A test-mode merchant cannot pay out through a live account.
      [liveAccount, 'resource_missing'],
      [sandbox.body.id, 'parameter_invalid', 'cannot pay out'],
      [disabled, 'parameter_invalid', 'disabled'],
      ['', 'parameter_invalid'],
      [42, 'parameter_invalid'],
      [{ id: good }, 'parameter_invalid'],
      ['g'.repeat(256), 'parameter_invalid'],
    ];
    const answers = [];
    for (const [value] of cases) {
      // Beside a valid change, which must not be saved either.
      const answer = await save(merchant, { interval: 'daily', gateway_account: value });
      answers.push([answer.status, answer.body.code, answer.body.param, answer.body.error]);
    }
    expect(answers).toEqual(
      cases.map(([, code, says]) => [400, code, 'gateway_account', says ? expect.stringContaining(says) : expect.any(String)]),
    );
    expect((await getSettings(merchant)).body).toEqual(before.body);
    expect(await storedRow(merchant.id)).toEqual(row);
    expect((await scheduleOf(merchant.id).describe()).spec).toEqual(scheduled);
  });
});

describe("ops pausing a merchant's payouts", () => {
  it('when ops pause, then the Temporal Schedule is paused with the reason as its note, arePayoutsPaused is true, and resume undoes both', async () => {
    const merchant = await fresh();
    await save(merchant, { interval: 'daily' });
    const pausedAnswer = await admin(merchant.id, 'pause', { reason: 'KYC review pending' });
    expect(pausedAnswer.status).toBe(200);
    expect(pausedAnswer.body).toMatchObject({
      merchant: merchant.id,
      paused: true,
      paused_reason: 'KYC review pending',
      interval: 'daily',
    });
    const description = await scheduleOf(merchant.id).describe();
    expect(description.state).toMatchObject({ paused: true, note: expect.stringContaining('KYC review pending') });
    expect(await paused(merchant.id)).toBe(true);
    // The merchant sees that its payouts are paused, not ops' note.
    const seen = await getSettings(merchant);
    expect(seen.body.paused).toBe(true);
    expect(seen.body).not.toHaveProperty('paused_reason');

    // Changing the settings while paused keeps the schedule paused.
    await save(merchant, { interval: 'weekly', weekly_anchor: 'friday' });
    expect((await scheduleOf(merchant.id).describe()).state.paused).toBe(true);

    const resumed = await admin(merchant.id, 'resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, paused_reason: null, interval: 'weekly', weekly_anchor: 'friday' });
    expect((await scheduleOf(merchant.id).describe()).state.paused).toBe(false);
    expect(await paused(merchant.id)).toBe(false);
  });

  it('when a merchant on manual is paused and then picks daily, then its new schedule starts paused', async () => {
    const merchant = await fresh();
    expect((await admin(merchant.id, 'pause', { reason: 'Chargeback spike' })).status).toBe(200);
    expect(await scheduleExists(merchant.id)).toBe(false);
    expect(await paused(merchant.id)).toBe(true);
    await save(merchant, { interval: 'daily' });
    expect((await scheduleOf(merchant.id).describe()).state).toMatchObject({
      paused: true,
      note: expect.stringContaining('Chargeback spike'),
    });
  });

  it('when the caller is not the admin, the merchant is unknown or the reason is missing, then 401, 404 and 400 naming reason', async () => {
    const merchant = await fresh();
    expect((await admin(merchant.id, 'pause', { reason: 'x' }, merchant.apiKey)).status).toBe(401);
    expect((await admin(merchant.id, 'resume', undefined, merchant.apiKey)).status).toBe(401);
    const unknown = await admin('mer_unknown', 'pause', { reason: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'resource_missing']);
    expect((await admin('mer_unknown', 'resume')).status).toBe(404);
    const missing = await admin(merchant.id, 'pause', {});
    expect([missing.status, missing.body.code, missing.body.param]).toEqual([400, 'parameter_missing', 'reason']);
    expect(await paused(merchant.id)).toBe(false);
  });
});

describe('isolation between merchants', () => {
  it("when one merchant changes its settings or is paused, then another's settings, schedule and payouts are untouched", async () => {
    const [first, second] = [await fresh(), await fresh()];
    await save(first, { interval: 'daily', delay_days: 5 });
    await save(second, { interval: 'weekly', weekly_anchor: 'monday' });
    await admin(first.id, 'pause', { reason: 'Review' });
    expect((await getSettings(second)).body).toMatchObject({ interval: 'weekly', delay_days: 0, paused: false });
    expect((await getSettings(first)).body).toMatchObject({ interval: 'daily', delay_days: 5, paused: true });
    expect((await scheduleOf(second.id).describe()).state.paused).toBe(false);
    expect(await paused(second.id)).toBe(false);
    // The settings route acts on the caller's own merchant only: there is no id to point elsewhere.
    expect((await stack.request('POST', `/v1/payout_schedule?merchant=${first.id}`, { apiKey: second.apiKey, body: {} })).status).toBe(400);
  });
});

describe('an OAuth access token', () => {
  it('when it holds payouts:read only, then it reads the settings but changing them needs payouts:write; payments:read reads nothing here', async () => {
    const merchant = await fresh();
    const tokenWith = async (scopes: string[]) => {
      const client = await stack.request('POST', '/v1/oauth/clients', { apiKey: merchant.apiKey, body: { name: 'Reader', scopes } });
      const basic = Buffer.from(`${client.body.client_id}:${client.body.client_secret}`).toString('base64');
      const issued = await stack.request('POST', '/v1/oauth/token', {
        body: { grant_type: 'client_credentials' },
        headers: { authorization: `Basic ${basic}` },
      });
      return issued.body.access_token as string;
    };
    const access = await tokenWith(['payouts:read']);
    expect((await stack.request('GET', '/v1/payout_schedule', { apiKey: access })).status).toBe(200);
    const refused = await stack.request('POST', '/v1/payout_schedule', { apiKey: access, body: { interval: 'daily' } });
    expect([refused.status, refused.body.code]).toEqual([403, 'insufficient_scope']);
    expect(refused.body.error).toContain('payouts:write');
    const paymentsReader = await stack.request('GET', '/v1/payout_schedule', { apiKey: await tokenWith(['payments:read']) });
    expect([paymentsReader.status, paymentsReader.body.code]).toEqual([403, 'insufficient_scope']);
  });
});

describe('a scheduled run on the real stack', () => {
  it('when the schedule fires, then the available balance goes out as an automatic payout to the default account; while paused, it makes none', async () => {
    const merchant = await fresh();
    const account = await stack.request('POST', '/v1/bank_accounts', {
      apiKey: merchant.apiKey,
      body: { country: 'DE', currency: 'EUR', account_holder_name: 'Jenny Rosen', iban: 'DE89370400440532013000' },
    });
    expect(account.status).toBe(201);
    await makeAvailable(stack.orm, merchant.id, 'EUR', 12_345);
    await save(merchant, { interval: 'daily' });
    await admin(merchant.id, 'pause', { reason: 'Checking the account' });
    await scheduleOf(merchant.id).trigger();
    const skipped = await eventually(async () => {
      const actions = (await scheduleOf(merchant.id).describe()).info.recentActions;
      return actions.length > 0 ? actions[0] : undefined;
    });
    const pausedRun = await stack.client.workflow.getHandle(skipped.action.workflow.workflowId).result();
    expect(pausedRun).toMatchObject({ skipped: 'paused', payouts: [] });

    await admin(merchant.id, 'resume');
    // A run's workflow id ends in its time to the second: a second trigger within the same second would be the same run.
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 50));
    await scheduleOf(merchant.id).trigger();
    const payout = await eventually(async () => {
      const list = await stack.request('GET', '/v1/payouts', { apiKey: merchant.apiKey });
      return list.body.data?.[0]?.status === 'paid' ? list.body.data[0] : undefined;
    });
    expect(payout).toMatchObject({ amount: 123.45, currency: 'EUR', automatic: true, bank_account: account.body.id, status: 'paid' });
    expect(await stack.request('GET', '/v1/payouts', { apiKey: merchant.apiKey })).toMatchObject({ body: { data: [expect.anything()] } });
  });
});

import type { Orm } from '../db/orm';
import { inTransaction, sqlFor, type Sql } from '../db/sql';
import { GatewayAccountRepository } from '../gateway-accounts/gateway-account-repository';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { parseMajorAmount } from '../shared/money';
import { payoutGatewayAccount } from './payout-gateway-account';
import { defaultPayoutSchedule, type PayoutScheduleRecord } from './payout-schedule-record';
import { PayoutScheduleRepository } from './payout-schedule-repository';
import type { UpdatePayoutScheduleBody } from './payout-schedule-schemas';
import { syncPayoutSchedule, type PayoutScheduleTemporal } from './payout-schedule-sync';
import { renderAdminPayoutSchedule, renderPayoutSchedule, type PayoutScheduleJson } from './payout-schedule-view';

export interface PayoutScheduleServiceDeps extends PayoutScheduleTemporal {
  orm: Orm;
  logger: Logger;
}

/** Merchants' automatic payout settings, each kept as a Temporal Schedule, and ops' pause of a merchant's payouts. */
export class PayoutScheduleService {
  constructor(private readonly deps: PayoutScheduleServiceDeps) {}

  /** The merchant's settings; the defaults (manual) when it never set any. */
  async get(merchant: Pick<Merchant, 'id'>): Promise<PayoutScheduleJson> {
    const stored = await new PayoutScheduleRepository(sqlFor(this.deps.orm.em.fork())).find(merchant.id);
    return renderPayoutSchedule(stored ?? defaultPayoutSchedule(merchant.id, new Date()), stored !== null);
  }

  /**
   * Changes the settings (absent fields keep their values) and brings the Temporal Schedule in line:
   * created or updated for daily, weekly and monthly, deleted for manual. A gateway account is checked
   * as POST /v1/payouts checks it; null clears it.
   * @throws 400 parameter_missing (weekly_anchor, monthly_anchor), 400 parameter_invalid, 400 resource_missing (gateway_account)
   */
  async update(merchant: Pick<Merchant, 'id' | 'livemode'>, body: UpdatePayoutScheduleBody): Promise<PayoutScheduleJson> {
    const minimums = body.minimum_amounts === undefined ? undefined : minimumAmountsMinor(body.minimum_amounts);
    const saved = await this.change(merchant.id, async (current, sql) => {
      const interval = body.interval ?? current.interval;
      const weeklyAnchor = anchorFor('weekly', interval, body.weekly_anchor, current.weeklyAnchor);
      const monthlyAnchor = anchorFor('monthly', interval, body.monthly_anchor, current.monthlyAnchor);
      return {
        ...current,
        interval,
        weeklyAnchor,
        monthlyAnchor,
        delayDays: body.delay_days ?? current.delayDays,
        minimumAmounts: minimums ?? current.minimumAmounts,
        gatewayAccountId: await gatewayAccountFor(sql, merchant, body.gateway_account, current.gatewayAccountId),
      };
    });
    this.deps.logger.info(
      { merchantId: merchant.id, interval: saved.interval, delayDays: saved.delayDays, gatewayAccountId: saved.gatewayAccountId },
      'payout schedule changed',
    );
    return renderPayoutSchedule(saved, true);
  }

  /**
   * Ops: stops the merchant's payouts, automatic and requested, and pauses its Temporal Schedule with the reason as its note.
   * @throws 404 resource_missing
   */
  async pause(merchantId: string, reason: string) {
    const saved = await this.change(merchantId, (current) => ({ ...current, paused: true, pausedReason: reason }));
    this.deps.logger.warn({ merchantId, reason }, 'payouts paused by ops');
    return renderAdminPayoutSchedule(saved);
  }

  /**
   * Ops: lets the merchant's payouts run again; the next scheduled run pays out what built up meanwhile.
   * @throws 404 resource_missing
   */
  async resume(merchantId: string) {
    const saved = await this.change(merchantId, (current) => ({ ...current, paused: false, pausedReason: null }));
    this.deps.logger.info({ merchantId }, 'payouts resumed by ops');
    return renderAdminPayoutSchedule(saved);
  }

  /**
   * Writes the merchant's new settings and brings its Temporal Schedule in line, one change at a time
   * per merchant. The schedule is changed before the commit: if Temporal cannot be reached, the row
   * stays as it was (nothing half-written) and a retry of the same request completes both.
   */
  private async change(
    merchantId: string,
    next: (current: PayoutScheduleRecord, sql: Sql) => PayoutScheduleRecord | Promise<PayoutScheduleRecord>,
  ): Promise<PayoutScheduleRecord> {
    return inTransaction(this.deps.orm, async (sql) => {
      const repository = new PayoutScheduleRepository(sql);
      if (!(await repository.merchantExists(merchantId))) throw apiErrors.notFound('Merchant');
      await repository.lockMerchant(merchantId);
      const now = new Date();
      const current = (await repository.find(merchantId)) ?? defaultPayoutSchedule(merchantId, now);
      const saved = await repository.save({ ...(await next(current, sql)), merchantId, updatedAt: now });
      await syncPayoutSchedule(this.deps, saved);
      return saved;
    });
  }
}

/**
 * The anchor an interval keeps: the one sent, else the stored one; none for another interval.
 * @throws 400 parameter_missing when the interval needs one and there is none, parameter_invalid when one is sent for another interval
 */
function anchorFor<T>(kind: 'weekly' | 'monthly', interval: string, sent: T | undefined, stored: T | null): T | null {
  const param = `${kind}_anchor`;
  if (interval !== kind) {
    if (sent !== undefined)
      throw apiErrors.invalidParameter(param, `Invalid ${param}: only used when interval is ${kind} (it is ${interval})`);
    return null;
  }
  const anchor = sent ?? stored;
  if (anchor === null) throw apiErrors.missingParameter(param, `Missing required param: ${param} (interval ${kind} needs one)`);
  return anchor;
}

/**
 * The gateway account payouts go through: the one sent (checked, inside the change's transaction, to be
 * usable), none when null is sent, else the stored one as it is (each run checks it again).
 * @throws 400 resource_missing, 400 parameter_invalid (both on gateway_account)
 */
async function gatewayAccountFor(
  sql: Sql,
  merchant: Pick<Merchant, 'id' | 'livemode'>,
  sent: string | null | undefined,
  stored: string | null,
): Promise<string | null> {
  if (sent === undefined) return stored;
  if (sent === null) return null;
  return payoutGatewayAccount(await new GatewayAccountRepository(sql).findForMerchant(merchant.id, sent), merchant, sent).id;
}

/** The minimums in minor units by upper-case currency. @throws 400 parameter_invalid on minimum_amounts */
function minimumAmountsMinor(sent: Partial<Record<string, number | string>>): Record<string, number> {
  const minimums: Record<string, number> = {};
  for (const [code, amount] of Object.entries(sent)) {
    if (amount === undefined) continue;
    const currency = code.toUpperCase();
    if (currency in minimums)
      throw apiErrors.invalidParameter('minimum_amounts', `Invalid minimum_amounts: ${currency} is given twice (in either case)`);
    const parsed = parseMajorAmount(amount, currency);
    if (!parsed.ok)
      throw apiErrors.invalidParameter('minimum_amounts', `Invalid minimum_amounts: the ${currency} minimum ${parsed.reason}`);
    minimums[currency] = parsed.minor;
  }
  return minimums;
}

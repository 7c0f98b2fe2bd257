import type { Orm } from '../db/orm';
import { inTransaction, sqlFor } from '../db/sql';
import { identityForCreate, releaseIdempotencyKey, requestHash, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { sealSecret } from '../vault/sealed-secrets';
import { cardFingerprint, type VaultKeyRing } from '../vault/vault-keys';
import { bankAccountNumberBinding, type BankAccountRecord } from './bank-account-record';
import { BankAccountRepository } from './bank-account-repository';
import type { CreateBankAccountBody, UpdateBankAccountBody } from './bank-account-schemas';
import { validateBankAccount, type CheckedBankAccount } from './bank-account-validation';
import { renderBankAccount, type BankAccountJson } from './bank-account-view';

type CreateOutcome = { kind: 'stored'; account: BankAccountRecord } | { kind: 'duplicate'; existingId: string };

export interface BankAccountServiceDeps {
  orm: Orm;
  /** Absent when CARD_VAULT_KEYS / CARD_FINGERPRINT_KEY are not configured: adding an account then answers 503. */
  keys?: VaultKeyRing;
  logger: Logger;
}

/** A merchant's bank accounts: validated, stored sealed, one default per currency. */
export class BankAccountService {
  constructor(private readonly deps: BankAccountServiceDeps) {}

  /**
   * Validates every field, then stores the account sealed; the merchant's first account of a currency becomes its default.
   * A second account with the same fingerprint is refused, as Stripe refuses a duplicate external account
   * (`bank_account_exists`): answering the existing one would silently drop this request's holder name,
   * metadata and default choice, and a retry that must land on the first answer has the Idempotency-Key for that.
   * @throws 400 parameter_invalid, 400 parameter_missing, 409 bank_account_exists, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 card_vault_unavailable
   */
  async create(merchant: Merchant, body: CreateBankAccountBody, idempotency?: IdempotencyContext): Promise<BankAccountJson> {
    const checked = this.validate(body);
    const keys = this.requireKeys();
    const fingerprint = cardFingerprint(keys, `bank_account:${checked.identity}`);
    // The request as hashed for the Idempotency-Key holds the fingerprint, never the number: a hash of an IBAN can be reversed by trying them all.
    const { iban: _iban, account_number: _accountNumber, ...withoutNumber } = body;
    const request = { ...withoutNumber, fingerprint };
    const em = this.deps.orm.em.fork();
    const { id, createdAt } = await identityForCreate(em, merchant.id, idempotency, request, { id: newId('ba'), createdAt: new Date() });
    const sealed = sealSecret(keys, checked.number, bankAccountNumberBinding(id));
    const outcome = await inTransaction(this.deps.orm, async (sql): Promise<CreateOutcome> => {
      const repository = new BankAccountRepository(sql);
      await repository.lockMerchant(merchant.id);
      const replayed = await repository.findForMerchant(merchant.id, id);
      if (replayed) return { kind: 'stored', account: replayed };
      const existing = await repository.findAvailableByFingerprint(merchant.id, fingerprint);
      if (existing) return { kind: 'duplicate', existingId: existing.id };
      const makeDefault = body.default_for_currency === true || !(await repository.hasDefault(merchant.id, checked.currency));
      if (makeDefault) await repository.clearDefault(merchant.id, checked.currency, createdAt);
      const account = this.newRecord(merchant, id, createdAt, body, checked, fingerprint, sealed, makeDefault);
      await repository.insert(account);
      return { kind: 'stored', account };
    });
    if (outcome.kind === 'duplicate') {
      // Nothing was stored: the key is given back so a corrected request may use it.
      if (idempotency)
        await releaseIdempotencyKey(em, {
          merchantId: merchant.id,
          key: idempotency.key,
          requestHash: requestHash(idempotency.method, idempotency.path, request),
        });
      throw new ApiError(409, `This bank account is already on file as ${outcome.existingId}`, 'bank_account_exists', undefined, {
        existing_id: outcome.existingId,
      });
    }
    this.deps.logger.info(
      { bankAccountId: id, merchantId: merchant.id, country: checked.country, last4: checked.last4 },
      'bank account added',
    );
    return renderBankAccount(outcome.account);
  }

  /**
   * The merchant's bank account, deleted or not.
   * @throws 404 resource_missing
   */
  async get(merchant: Pick<Merchant, 'id'>, id: string): Promise<BankAccountJson> {
    const account = await this.repository().findForMerchant(merchant.id, id);
    if (!account) throw apiErrors.notFound('Bank account');
    return renderBankAccount(account);
  }

  /**
   * The merchant's accounts in use, newest first, optionally of one currency.
   * @throws 400 resource_missing
   */
  async list(
    merchant: Pick<Merchant, 'id'>,
    query: { currency?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: BankAccountJson[]; hasMore: boolean }> {
    const repository = this.repository();
    if (query.startingAfter && !(await repository.findForMerchant(merchant.id, query.startingAfter)))
      throw apiErrors.noSuch('bank account', query.startingAfter);
    const page = await repository.listForMerchant(merchant.id, query);
    return { data: page.data.map(renderBankAccount), hasMore: page.hasMore };
  }

  /**
   * Changes the holder name or metadata, or makes the account its currency's default: the previous default stops being one in the same transaction.
   * @throws 404 resource_missing, 409 bank_account_deleted
   */
  async update(merchant: Pick<Merchant, 'id'>, id: string, body: UpdateBankAccountBody): Promise<BankAccountJson> {
    const updated = await inTransaction(this.deps.orm, async (sql) => {
      const repository = new BankAccountRepository(sql);
      await repository.lockMerchant(merchant.id);
      const account = await repository.findForMerchant(merchant.id, id);
      if (!account) throw apiErrors.notFound('Bank account');
      if (account.status === 'deleted')
        throw ApiError.conflict('This bank account is deleted and cannot be changed', 'bank_account_deleted');
      const now = new Date();
      const makeDefault = body.default_for_currency === true;
      if (makeDefault && !account.defaultForCurrency) await repository.clearDefault(merchant.id, account.currency, now);
      const changes = { accountHolderName: body.account_holder_name, metadata: body.metadata, makeDefault };
      return repository.update(merchant.id, id, changes, now);
    });
    if (!updated) throw apiErrors.notFound('Bank account');
    return renderBankAccount(updated);
  }

  /**
   * Soft-deletes the account: it takes no more payouts and stays for their history. When it was its
   * currency's default, no other account is promoted: the merchant chooses the next default.
   * Deleting it again answers the deleted account.
   * @throws 404 resource_missing
   */
  async delete(merchant: Pick<Merchant, 'id'>, id: string): Promise<BankAccountJson> {
    const deleted = await inTransaction(this.deps.orm, async (sql) => {
      const repository = new BankAccountRepository(sql);
      await repository.lockMerchant(merchant.id);
      return (await repository.markDeleted(merchant.id, id, new Date())) ?? repository.findForMerchant(merchant.id, id);
    });
    if (!deleted) throw apiErrors.notFound('Bank account');
    return renderBankAccount(deleted);
  }

  private validate(body: CreateBankAccountBody): CheckedBankAccount {
    const checked = validateBankAccount({
      country: body.country,
      currency: body.currency,
      iban: body.iban,
      accountNumber: body.account_number,
      routingNumber: body.routing_number,
    });
    if (checked.ok) return checked.account;
    const [first] = checked.problems;
    // One field in `param`, as every error names one; the message lists them all so one round trip shows every fix.
    const message = checked.problems.map((problem) => `${problem.param}: ${problem.message}`).join('; ');
    throw new ApiError(400, message, first.code, first.param);
  }

  private requireKeys(): VaultKeyRing {
    if (!this.deps.keys)
      throw ApiError.unavailable(
        'Bank accounts are stored encrypted with the vault keys, and none are configured (CARD_VAULT_KEYS, CARD_FINGERPRINT_KEY)',
        'card_vault_unavailable',
      );
    return this.deps.keys;
  }

  private newRecord(
    merchant: Merchant,
    id: string,
    createdAt: Date,
    body: CreateBankAccountBody,
    checked: CheckedBankAccount,
    fingerprint: string,
    sealed: { keyId: string; ciphertext: Buffer },
    makeDefault: boolean,
  ): BankAccountRecord {
    return {
      id,
      merchantId: merchant.id,
      livemode: merchant.livemode,
      status: 'available',
      country: checked.country,
      currency: checked.currency,
      accountHolderName: body.account_holder_name,
      accountHolderType: body.account_holder_type ?? null,
      bankName: checked.bankName,
      bankCode: checked.bankCode,
      routingNumber: checked.routingNumber,
      last4: checked.last4,
      fingerprint,
      numberKeyId: sealed.keyId,
      numberCiphertext: sealed.ciphertext,
      defaultForCurrency: makeDefault,
      metadata: body.metadata ?? {},
      createdAt,
      updatedAt: createdAt,
      deletedAt: null,
    };
  }

  private repository(): BankAccountRepository {
    return new BankAccountRepository(sqlFor(this.deps.orm.em.fork()));
  }
}

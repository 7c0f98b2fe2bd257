import { describe, expect, it } from 'vitest';
import { useTestStack, type TestStack } from '../support/test-stack';
import { BankAccountService } from '../../src/bank-accounts/bank-account-service';
import { openSecret } from '../../src/vault/sealed-secrets';
import { bankAccountNumberBinding } from '../../src/bank-accounts/bank-account-record';
import type { Logger } from '../../src/logger';
import type { Merchant } from '../../src/merchants/merchant-record';

let stack: TestStack;
useTestStack((started) => ({ stack } = started), { worker: false });

type Caller = { apiKey: string };
const post = (caller: Caller, path: string, body: unknown, key?: string) =>
  stack.request('POST', path, { apiKey: caller.apiKey, body, headers: key ? { 'Idempotency-Key': key } : {} });
const get = (caller: Caller, path: string) => stack.request('GET', path, { apiKey: caller.apiKey });
const del = (caller: Caller, path: string) => stack.request('DELETE', path, { apiKey: caller.apiKey });
const sql = <T = any>(text: string, params: unknown[] = []): Promise<T[]> => stack.orm.em.getConnection().execute(text, params);
const rowsOf = (merchantId: string) => sql(`select * from bank_accounts where merchant_id = ? order by created_at`, [merchantId]);

const GERMAN = { country: 'DE', currency: 'EUR', account_holder_name: 'Jenny Rosen', iban: 'DE89 3704 0044 0532 0130 00' };
const DUTCH = { country: 'NL', currency: 'EUR', account_holder_name: 'Jenny Rosen', iban: 'NL91ABNA0417164300' };
const AMERICAN = {
  country: 'US',
  currency: 'USD',
  account_holder_name: 'Jenny Rosen',
  account_number: '000123456789',
  routing_number: '110000000',
};
const fresh = () => stack.createMerchant('Bank accounts');

describe('adding bank accounts', () => {
  it('when a German IBAN is added, then 201 shows last4, the Bankleitzahl and the bank, and it is the first EUR default', async () => {
    const owner = await fresh();
    const created = await post(owner, '/v1/bank_accounts', { ...GERMAN, account_holder_type: 'individual', metadata: { ref: '1' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^ba_[0-9A-Za-z]{22}$/),
      object: 'bank_account',
      status: 'available',
      country: 'DE',
      currency: 'EUR',
      account_holder_type: 'individual',
      bank_code: '37040044',
      bank_name: 'Commerzbank',
      routing_number: null,
      last4: '3000',
      default_for_currency: true,
      metadata: { ref: '1' },
      livemode: false,
      deleted_at: null,
    });
    expect((await get(owner, `/v1/bank_accounts/${created.body.id}`)).body).toEqual(created.body);
  });

  it('when a US account is added, then the routing number is shown and the account number only by its last 4', async () => {
    const owner = await fresh();
    const created = await post(owner, '/v1/bank_accounts', AMERICAN);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ routing_number: '110000000', bank_code: '110000000', last4: '6789', currency: 'USD' });
    expect(JSON.stringify(created.body)).not.toContain('000123456789');
  });

  it('when the number is read back from the database, then neither the IBAN nor the account number is in clear anywhere in the row, and it opens with the vault key', async () => {
    const owner = await fresh();
    const german = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    await post(owner, '/v1/bank_accounts', AMERICAN);
    const rows = await rowsOf(owner.id);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const text = JSON.stringify(row, (_key, value) => (value?.type === 'Buffer' ? Buffer.from(value.data).toString('latin1') : value));
      for (const secret of ['DE89370400440532013000', '370400440532013000', '0532013000', '000123456789', '123456789'])
        expect(text).not.toContain(secret);
    }
    const row = rows.find((candidate) => candidate.id === german.id);
    const keys = stack.config.cardVault;
    if (!keys) throw new Error('the test stack runs with the suite vault keys');
    const sealed = { keyId: row.number_key_id, ciphertext: row.number_ciphertext };
    expect(openSecret(keys, sealed, bankAccountNumberBinding(german.id))).toBe('DE89370400440532013000');
    // Bound to its row: copied onto another account, it does not open.
    expect(() => openSecret(keys, sealed, bankAccountNumberBinding('ba_other'))).toThrow();
  });

  it.each([
    [{ ...GERMAN, iban: 'DE89370400440532013001' }, 'parameter_invalid', 'iban'],
    [{ ...GERMAN, iban: 'DE8937040044053201300' }, 'parameter_invalid', 'iban'],
    [{ ...GERMAN, country: 'FR' }, 'parameter_invalid', 'iban'],
    [{ ...GERMAN, currency: 'USD' }, 'parameter_invalid', 'currency'],
    [{ ...GERMAN, iban: undefined }, 'parameter_missing', 'iban'],
    [{ ...AMERICAN, routing_number: '110000001' }, 'parameter_invalid', 'routing_number'],
    [{ ...AMERICAN, account_number: '123' }, 'parameter_invalid', 'account_number'],
    [{ ...AMERICAN, currency: 'EUR' }, 'parameter_invalid', 'currency'],
    [{ ...AMERICAN, country: 'JP' }, 'parameter_invalid', 'country'],
  ])('when %j is sent, then 400 %s names %s and nothing is stored', async (body, code, param) => {
    const owner = await fresh();
    const refused = await post(owner, '/v1/bank_accounts', body);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code, param });
    expect(JSON.stringify(refused.body)).not.toMatch(/0532013001|000123456789/);
    expect(await rowsOf(owner.id)).toHaveLength(0);
  });

  it('when the same account is added twice (other spacing and case), then 409 bank_account_exists names the first, and nothing new is stored; after deleting it, it may be added again', async () => {
    const owner = await fresh();
    const first = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    const again = await post(owner, '/v1/bank_accounts', { ...GERMAN, iban: 'de89370400440532013000', account_holder_name: 'J. Rosen' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'bank_account_exists', existing_id: first.id });
    expect(await rowsOf(owner.id)).toHaveLength(1);
    // Another merchant adding the same account is no duplicate; the fingerprint is the same.
    const other = await fresh();
    const elsewhere = await post(other, '/v1/bank_accounts', GERMAN);
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.fingerprint).toBe(first.fingerprint);
    expect((await del(owner, `/v1/bank_accounts/${first.id}`)).status).toBe(200);
    expect((await post(owner, '/v1/bank_accounts', GERMAN)).status).toBe(201);
  });

  it('when a create is retried with its Idempotency-Key, then the same account answers and one row exists; the key with another body is 422', async () => {
    const owner = await fresh();
    const first = await post(owner, '/v1/bank_accounts', GERMAN, 'ba-once');
    const retry = await post(owner, '/v1/bank_accounts', GERMAN, 'ba-once');
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(await rowsOf(owner.id)).toHaveLength(1);
    expect((await post(owner, '/v1/bank_accounts', DUTCH, 'ba-once')).status).toBe(422);
  });

  it('when the vault has no keys, then adding an account is 503 card_vault_unavailable and nothing is stored', async () => {
    const logger = { info: () => undefined } as unknown as Logger;
    const service = new BankAccountService({ orm: stack.orm, logger });
    const owner = await fresh();
    const record: Merchant = { id: owner.id, name: 'Bank accounts', livemode: false, createdAt: new Date() };
    await expect(service.create(record, { ...GERMAN, iban: GERMAN.iban })).rejects.toMatchObject({
      status: 503,
      code: 'card_vault_unavailable',
    });
    expect(await rowsOf(owner.id)).toHaveLength(0);
  });
});

describe('defaults, listing and deleting', () => {
  it('when a second EUR account is made default, then the first stops being one, leaving exactly one; a USD account keeps its own', async () => {
    const owner = await fresh();
    const german = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    const dutch = (await post(owner, '/v1/bank_accounts', DUTCH)).body;
    const american = (await post(owner, '/v1/bank_accounts', AMERICAN)).body;
    expect([german.default_for_currency, dutch.default_for_currency, american.default_for_currency]).toEqual([true, false, true]);
    const changed = await post(owner, `/v1/bank_accounts/${dutch.id}`, { default_for_currency: true, account_holder_name: 'Jenny R.' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ default_for_currency: true, account_holder_name: 'Jenny R.' });
    expect((await get(owner, `/v1/bank_accounts/${german.id}`)).body.default_for_currency).toBe(false);
    const defaults = await sql(
      `select currency, count(*)::int as n from bank_accounts where merchant_id = ? and default_for_currency group by currency order by currency`,
      [owner.id],
    );
    expect(defaults).toEqual([
      { currency: 'EUR', n: 1 },
      { currency: 'USD', n: 1 },
    ]);
    // A new account asked to be default takes it over as well.
    const belgian = await post(owner, '/v1/bank_accounts', {
      ...GERMAN,
      country: 'BE',
      iban: 'BE68539007547034',
      default_for_currency: true,
    });
    expect(belgian.body.default_for_currency).toBe(true);
    expect((await get(owner, `/v1/bank_accounts/${dutch.id}`)).body.default_for_currency).toBe(false);
  });

  it('when the default is deleted, then it is kept as deleted, no other account is promoted, and it leaves the list but not GET', async () => {
    const owner = await fresh();
    const german = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    const dutch = (await post(owner, '/v1/bank_accounts', DUTCH)).body;
    const deleted = await del(owner, `/v1/bank_accounts/${german.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: german.id, status: 'deleted', default_for_currency: false, deleted_at: expect.any(String) });
    expect((await get(owner, `/v1/bank_accounts/${dutch.id}`)).body.default_for_currency).toBe(false);
    expect((await get(owner, `/v1/bank_accounts/${german.id}`)).body.status).toBe('deleted');
    expect((await get(owner, '/v1/bank_accounts')).body.data.map((account: { id: string }) => account.id)).toEqual([dutch.id]);
    expect((await del(owner, `/v1/bank_accounts/${german.id}`)).body.status).toBe('deleted');
    const change = await post(owner, `/v1/bank_accounts/${german.id}`, { default_for_currency: true });
    expect(change.status).toBe(409);
    expect(change.body.code).toBe('bank_account_deleted');
    // The next account of the currency becomes its default again, as the first did.
    expect((await post(owner, `/v1/bank_accounts/${dutch.id}`, { default_for_currency: true })).body.default_for_currency).toBe(true);
  });

  it('when the list is read by currency and by page, then newest first, only that currency, has_more and starting_after work', async () => {
    const owner = await fresh();
    const german = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    const american = (await post(owner, '/v1/bank_accounts', AMERICAN)).body;
    const dutch = (await post(owner, '/v1/bank_accounts', DUTCH)).body;
    const ids = (list: { data: { id: string }[] }) => list.data.map((account) => account.id);
    expect(ids((await get(owner, '/v1/bank_accounts')).body)).toEqual([dutch.id, american.id, german.id]);
    expect(ids((await get(owner, '/v1/bank_accounts?currency=eur')).body)).toEqual([dutch.id, german.id]);
    const page = (await get(owner, '/v1/bank_accounts?limit=1')).body;
    expect([ids(page), page.has_more]).toEqual([[dutch.id], true]);
    expect(ids((await get(owner, `/v1/bank_accounts?starting_after=${dutch.id}`)).body)).toEqual([american.id, german.id]);
    expect((await get(owner, '/v1/bank_accounts?starting_after=ba_missing')).status).toBe(400);
  });

  it("when a merchant reads, changes or deletes another merchant's account, then 404 and nothing changes; lists never show it", async () => {
    const owner = await fresh();
    const other = await fresh();
    const german = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    expect((await get(other, `/v1/bank_accounts/${german.id}`)).status).toBe(404);
    expect((await post(other, `/v1/bank_accounts/${german.id}`, { account_holder_name: 'Mallory' })).status).toBe(404);
    expect((await del(other, `/v1/bank_accounts/${german.id}`)).status).toBe(404);
    expect((await get(other, '/v1/bank_accounts')).body.data).toEqual([]);
    expect((await get(other, `/v1/bank_accounts?starting_after=${german.id}`)).status).toBe(400);
    expect((await get(owner, `/v1/bank_accounts/${german.id}`)).body).toMatchObject({
      status: 'available',
      account_holder_name: 'Jenny Rosen',
    });
  });

  it('when every answer about an account is read, then no more than its last 4 is ever shown', async () => {
    const owner = await fresh();
    const german = (await post(owner, '/v1/bank_accounts', GERMAN)).body;
    const american = (await post(owner, '/v1/bank_accounts', AMERICAN)).body;
    const answers = [
      await get(owner, `/v1/bank_accounts/${german.id}`),
      await get(owner, '/v1/bank_accounts'),
      await post(owner, `/v1/bank_accounts/${american.id}`, { metadata: { a: 'b' } }),
      await post(owner, '/v1/bank_accounts', GERMAN),
      await del(owner, `/v1/bank_accounts/${american.id}`),
    ];
    for (const answer of answers) expect(JSON.stringify(answer.body)).not.toMatch(/0532013000|123456789|DE89|000123/);
  });
});

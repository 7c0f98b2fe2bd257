import { z } from 'zod';
import { currency, metadataSchema } from '../payments/payment-schemas';
import { BANK_ACCOUNT_COUNTRIES } from './bank-account-countries';

const country = z
  .string()
  .length(2)
  .transform((code) => code.toUpperCase())
  .refine((code) => BANK_ACCOUNT_COUNTRIES.includes(code), { message: 'bank accounts are not supported in this country' })
  // Either case is taken, as for currencies.
  .meta({ enum: BANK_ACCOUNT_COUNTRIES.flatMap((code) => [code, code.toLowerCase()]) })
  .describe("ISO 3166-1 alpha-2 code of the bank's country: an IBAN country (DE, FR, GB, CH, NO, ...) or US.");

const accountHolderName = z.string().trim().min(1).max(256).describe('The name on the account.');

export const createBankAccountBody = z.strictObject({
  country,
  currency: currency.describe(
    'What payouts to this account are paid in; it must be a currency of the country (EUR for DE, GBP or EUR for GB, USD for US).',
  ),
  account_holder_name: accountHolderName,
  account_holder_type: z.enum(['individual', 'company']).optional(),
  iban: z
    .string()
    .min(15)
    .max(42)
    .regex(/^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+$/, 'must be an IBAN: two letters, two check digits, then letters, digits and spaces')
    .optional()
    .describe('For IBAN countries: the IBAN, spaces allowed. Its country, length for that country and check digits (mod 97) are checked.'),
  account_number: z
    .string()
    .regex(/^[0-9]{4,17}$/, 'must be 4 to 17 digits')
    .optional()
    .describe('For US accounts: 4 to 17 digits, leading zeros kept. Never shown again beyond its last 4.'),
  routing_number: z
    .string()
    .regex(/^[0-9]{9}$/, 'must be 9 digits')
    .optional()
    .describe('For US accounts: the 9-digit ABA routing number, which must pass its checksum.'),
  default_for_currency: z
    .boolean()
    .optional()
    .describe("Make it the default for its currency (the merchant's first account of a currency is its default anyway)."),
  metadata: metadataSchema.optional(),
});
export type CreateBankAccountBody = z.output<typeof createBankAccountBody>;

export const updateBankAccountBody = z.strictObject({
  default_for_currency: z
    .literal(true)
    .optional()
    .describe('Make it the default for its currency; the previous default stops being one in the same transaction.'),
  account_holder_name: accountHolderName.optional(),
  metadata: metadataSchema.optional().describe('Replaces the whole metadata.'),
});
export type UpdateBankAccountBody = z.output<typeof updateBankAccountBody>;

export const bankAccountIdParams = z.strictObject({ id: z.string().max(255).describe('The bank account id, ba_...') });

export const listBankAccountsQuery = z.strictObject({
  currency: currency.optional().describe('Only accounts paid in this currency.'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional().describe('Cursor: the last id of the previous page.'),
});

export const bankAccountSchema = z
  .object({
    id: z.string(),
    object: z.literal('bank_account'),
    status: z.enum(['available', 'deleted']).describe('A deleted account takes no payouts and is kept for their history.'),
    country: z.string(),
    currency: z.string(),
    account_holder_name: z.string(),
    account_holder_type: z.enum(['individual', 'company']).nullable(),
    bank_name: z.string().nullable().describe('When the bank is known from its code.'),
    bank_code: z
      .string()
      .nullable()
      .describe('Read from the IBAN (DE: the Bankleitzahl; GB and IE: the sort code), or the US routing number.'),
    routing_number: z.string().nullable().describe('US accounts: the routing number (it names the bank, not the account).'),
    last4: z.string().describe('The last 4 characters of the account number or IBAN: all that is ever shown of it.'),
    fingerprint: z.string().describe('The same for the same account, whoever adds it; reveals nothing of the number.'),
    default_for_currency: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    livemode: z.boolean(),
    created_at: z.string(),
    deleted_at: z.string().nullable(),
  })
  .describe('A bank account payouts can be sent to.');

export const bankAccountListSchema = z.object({ object: z.literal('list'), data: z.array(bankAccountSchema), has_more: z.boolean() });

/**
 * The sandbox's test bank accounts, as Stripe documents its own: in test mode, a payout's outcome is
 * chosen by the last four digits of the account it goes to, so each outcome can be tried on purpose.
 * Any other valid account is paid. Pure: the payout adapter reads this table and never opens the
 * sealed number (last 4 is stored in clear). Live-mode accounts never consult it.
 */
export type TestPayoutOutcome =
  | { outcome: 'paid' }
  | { outcome: 'failed'; failureCode: TestPayoutFailureCode }
  /** Paid, then returned by the bank days later: the late failure after `paid` that gives the money back. */
  | { outcome: 'returned'; failureCode: TestPayoutFailureCode };

export type TestPayoutFailureCode =
  'account_closed' | 'insufficient_funds' | 'no_account' | 'invalid_account_number' | 'account_frozen' | 'could_not_process';

/** By last 4. Each row also has a documented valid IBAN (DE) so it can be tried through the API as is. */
export const TEST_BANK_ACCOUNT_OUTCOMES: Readonly<Record<string, { result: TestPayoutOutcome; iban: string; usAccount: string }>> = {
  '0002': { result: { outcome: 'failed', failureCode: 'account_closed' }, iban: 'DE40370400440532010002', usAccount: '000111110002' },
  '0003': { result: { outcome: 'failed', failureCode: 'insufficient_funds' }, iban: 'DE13370400440532010003', usAccount: '000111110003' },
  '0004': { result: { outcome: 'failed', failureCode: 'no_account' }, iban: 'DE83370400440532010004', usAccount: '000111110004' },
  '0005': {
    result: { outcome: 'failed', failureCode: 'invalid_account_number' },
    iban: 'DE56370400440532010005',
    usAccount: '000111110005',
  },
  '0006': { result: { outcome: 'failed', failureCode: 'account_frozen' }, iban: 'DE29370400440532010006', usAccount: '000111110006' },
  '0007': { result: { outcome: 'failed', failureCode: 'could_not_process' }, iban: 'DE02370400440532010007', usAccount: '000111110007' },
  '0009': { result: { outcome: 'returned', failureCode: 'account_closed' }, iban: 'DE45370400440532010009', usAccount: '000111110009' },
};

/** The sandbox's accounts that are always paid: the ones the README documents. */
export const TEST_BANK_ACCOUNTS_PAID = {
  iban: 'DE89370400440532013000',
  us: { accountNumber: '000123456789', routingNumber: '110000000' },
} as const;

/** What a test-mode payout to an account ending in `last4` does. */
export function testPayoutOutcome(last4: string): TestPayoutOutcome {
  return TEST_BANK_ACCOUNT_OUTCOMES[last4]?.result ?? { outcome: 'paid' };
}

import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses } from '../api/common-schemas';
import type { BalanceService } from './balance-service';
import type { LedgerCheckService } from './ledger-checks';
import {
  balanceSchema,
  balanceTransactionListSchema,
  ledgerCheckListSchema,
  ledgerEntryListSchema,
  listBalanceTransactionsQuery,
  listLedgerChecksQuery,
  listLedgerEntriesQuery,
  trialBalanceQuery,
  trialBalanceSchema,
} from './ledger-schemas';

/** The merchant's balance and its history, the journal for finance, and the platform's trial balance. */
export function ledgerRoutes(balances: BalanceService, checks: LedgerCheckService): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/balance',
      operationId: 'getBalance',
      tags: ['Balance'],
      auth: 'merchant',
      summary: 'Retrieve the balance: available, pending, reserved and fees payable, per currency',
      description:
        'Read from balances the database keeps with every posting. Captures wait in pending (net of fees) until their settlement day; refunds and disputes draw on available, which may go negative.',
      responses: { 200: { description: 'The balance.', schema: balanceSchema }, ...errorResponses },
      async handle({ merchant }) {
        return { status: 200, body: await balances.balance(merchant) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/balance_transactions',
      operationId: 'listBalanceTransactions',
      tags: ['Balance'],
      auth: 'merchant',
      summary: 'List balance transactions, newest first',
      description:
        'Every movement of the balance: charges (gross, fee, net; pending until available_on), refunds, disputes and dispute reversals.',
      query: listBalanceTransactionsQuery,
      responses: { 200: { description: 'A page of balance transactions.', schema: balanceTransactionListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await balances.listBalanceTransactions(merchant, query);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/entries',
      operationId: 'listLedgerEntries',
      tags: ['Ledger'],
      auth: 'merchant',
      summary: "List the merchant's journal entries with their postings, newest first",
      query: listLedgerEntriesQuery,
      responses: { 200: { description: 'A page of entries.', schema: ledgerEntryListSchema }, ...errorResponses },
      async handle({ query, merchant }) {
        const page = await balances.listEntries(merchant, query);
        return { status: 200, body: { object: 'list', data: page.data, has_more: page.hasMore } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/trial_balance',
      operationId: 'getTrialBalance',
      tags: ['Ledger'],
      auth: 'admin',
      summary: 'The trial balance of the whole ledger (admin key)',
      description:
        "Every account's debits, credits and balance, and debits against credits per currency, on one snapshot. By default from the balances the database keeps with every posting (time independent of the ledger's size), with the latest daily check, which proves those balances against the postings. `verify=postings` does that proof now: recomputes every account from its postings and checks that every entry balances, every stored balance equals its postings, and each merchant's pending + available equals their balance transactions (an audit whose cost grows with the ledger). Negative available balances are listed.",
      query: trialBalanceQuery,
      responses: { 200: { description: 'The trial balance.', schema: trialBalanceSchema }, ...errorResponses },
      async handle({ query }) {
        return { status: 200, body: await balances.trialBalance(query.verify) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/ledger/checks',
      operationId: 'listLedgerChecks',
      tags: ['Ledger'],
      auth: 'admin',
      summary: 'List the daily ledger checks, newest first (admin key)',
      query: listLedgerChecksQuery,
      responses: { 200: { description: 'Recent checks.', schema: ledgerCheckListSchema }, ...errorResponses },
      async handle({ query }) {
        return { status: 200, body: { object: 'list', data: await checks.list(query.limit) } };
      },
    }),
  ];
}

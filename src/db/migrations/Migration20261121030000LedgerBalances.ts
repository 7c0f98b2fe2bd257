import { Migration } from '@mikro-orm/migrations';

/**
 * Stored account balances kept by the database itself, balance transactions (Stripe's view of a
 * merchant's money: amount, fee, net, pending until available_on), and per-merchant settlement
 * delays.
 */
export class Migration20261121030000LedgerBalances extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table merchants add column settlement_delay_days integer check (settlement_delay_days between 0 and 60);`);

    // One row per account and currency. Only the posting trigger below writes it, so a balance is
    // always the sum of its postings; the trial balance check proves it.
    this.addSql(`
      create table ledger_account_balances (
        account text not null,
        currency char(3) not null,
        merchant_id text references merchants(id),
        balance_minor bigint not null,
        credits_minor bigint not null check (credits_minor >= 0),
        debits_minor bigint not null check (debits_minor >= 0),
        postings_count bigint not null,
        updated_at timestamptz not null default now(),
        primary key (account, currency),
        check (balance_minor = credits_minor - debits_minor)
      );`);
    this.addSql(
      `create index ledger_account_balances_merchant_idx on ledger_account_balances (merchant_id) where merchant_id is not null;`,
    );
    this.addSql(`
      insert into ledger_account_balances (account, currency, merchant_id, balance_minor, credits_minor, debits_minor, postings_count)
      select account, currency, max(merchant_id), sum(amount_minor), sum(greatest(amount_minor, 0)), sum(greatest(-amount_minor, 0)), count(*)
        from ledger_postings group by account, currency;`);
    this.addSql(`
      create function ledger_posting_moves_balance() returns trigger language plpgsql as $$
      begin
        insert into ledger_account_balances (account, currency, merchant_id, balance_minor, credits_minor, debits_minor, postings_count)
        values (new.account, new.currency, new.merchant_id, new.amount_minor, greatest(new.amount_minor, 0), greatest(-new.amount_minor, 0), 1)
        on conflict (account, currency) do update set
          balance_minor = ledger_account_balances.balance_minor + excluded.balance_minor,
          credits_minor = ledger_account_balances.credits_minor + excluded.credits_minor,
          debits_minor = ledger_account_balances.debits_minor + excluded.debits_minor,
          postings_count = ledger_account_balances.postings_count + 1,
          updated_at = now();
        return null;
      end $$;`);
    this.addSql(
      `create trigger ledger_postings_move_balance after insert on ledger_postings for each row execute function ledger_posting_moves_balance();`,
    );
    // Writes that do not come from the posting trigger (trigger depth 1 is a direct statement's own
    // trigger) are refused: nobody can "fix" a balance by hand.
    this.addSql(`
      create function ledger_balances_only_from_postings() returns trigger language plpgsql as $$
      begin
        if pg_trigger_depth() < 2 then
          raise exception 'ledger balances change only through postings: % on % refused', tg_op, tg_table_name using errcode = '42501';
        end if;
        return case when tg_op = 'DELETE' then old else new end;
      end $$;`);
    this.addSql(
      `create trigger ledger_account_balances_guard before insert or update or delete on ledger_account_balances for each row execute function ledger_balances_only_from_postings();`,
    );

    this.addSql(`
      create table balance_transactions (
        id text primary key,
        merchant_id text not null references merchants(id),
        ledger_entry_id text not null unique references ledger_entries(id),
        type text not null check (type in ('charge','refund','dispute','dispute_reversal','adjustment')),
        source_type text not null,
        source_id text not null,
        description text not null,
        currency char(3) not null,
        amount_minor bigint not null,
        fee_minor bigint not null default 0,
        net_minor bigint not null,
        status text not null check (status in ('pending','available')),
        available_on timestamptz not null,
        settlement_entry_id text references ledger_entries(id),
        created_at timestamptz not null default now(),
        check (net_minor = amount_minor - fee_minor),
        check (type = 'charge' or status = 'available')
      );`);
    this.addSql(`create index balance_transactions_merchant_created_idx on balance_transactions (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index balance_transactions_source_idx on balance_transactions (source_id);`);
    this.addSql(`create index balance_transactions_due_idx on balance_transactions (available_on) where status = 'pending';`);
    this.addSql(`create index ledger_entries_merchant_created_idx on ledger_entries (merchant_id, created_at desc, id desc);`);
    this.addSql(`create index ledger_postings_account_created_idx on ledger_postings (account, created_at);`);

    // Earlier entries get their balance transactions, so funds captured before this migration settle too.
    this.addSql(`
      insert into balance_transactions (id, merchant_id, ledger_entry_id, type, source_type, source_id, description, currency, amount_minor, fee_minor, net_minor, status, available_on, created_at)
      select 'txn_' || substr(md5(e.id), 1, 24), e.merchant_id, e.id,
             case when e.source_type = 'payment' then 'charge' when e.source_type = 'refund' then 'refund'
                  when e.idempotency_key like '%:open' then 'dispute' else 'dispute_reversal' end,
             e.source_type, e.source_id, e.description, p.currency,
             case when e.source_type = 'payment' then sum(greatest(p.amount_minor, 0)) else sum(p.amount_minor) end,
             case when e.source_type = 'payment' then sum(greatest(-p.amount_minor, 0)) else 0 end,
             sum(p.amount_minor),
             case when e.source_type = 'payment' then 'pending' else 'available' end,
             case when e.source_type = 'payment' then date_trunc('day', e.created_at, 'UTC') + interval '2 days' else e.created_at end, e.created_at
        from ledger_entries e
        join ledger_postings p on p.entry_id = e.id and p.account in ('merchant:' || e.merchant_id || ':pending', 'merchant:' || e.merchant_id || ':available')
       where e.merchant_id is not null
       group by e.id, p.currency;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists balance_transactions cascade;');
    this.addSql('drop table if exists ledger_account_balances cascade;');
    this.addSql('drop function if exists ledger_posting_moves_balance() cascade;');
    this.addSql('drop function if exists ledger_balances_only_from_postings() cascade;');
    this.addSql('alter table merchants drop column if exists settlement_delay_days;');
  }
}

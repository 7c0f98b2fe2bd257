import { Migration } from '@mikro-orm/migrations';

/**
 * The ledger's database rules, once per statement instead of once per posting row. An entry of four
 * postings used to run four balance upserts (each through its own trigger call) and, at commit, eight
 * queries of the balance check; now one statement-level trigger sees every posting the statement wrote
 * (a transition table), checks that each entry it touched balances per currency (one posting never
 * does: an amount is never zero, so the old count of two postings or more is implied), and moves each account's balance once, in account order (the order concurrent entries lock
 * them in, so they queue instead of deadlocking).
 *
 * What changes for a writer: an entry's postings must be written by one statement, because the check
 * runs when the statement ends instead of at commit. The service always did that; a writer adding a
 * posting to an entry later is refused at once, which the deferred check did at commit.
 */
export class Migration20261207040000LedgerStatementTriggers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop trigger ledger_postings_balance on ledger_postings;`);
    this.addSql(`drop trigger ledger_postings_move_balance on ledger_postings;`);
    this.addSql(`
      create function ledger_postings_check_and_move_balances() returns trigger language plpgsql as $$
      declare
        unbalanced text;
      begin
        select p.entry_id into unbalanced
          from ledger_postings p
         where p.entry_id in (select distinct entry_id from new_postings)
         group by p.entry_id, p.currency
        having sum(p.amount_minor) <> 0
         limit 1;
        if unbalanced is not null then
          raise exception 'ledger entry % does not balance', unbalanced using errcode = '23514';
        end if;
        insert into ledger_account_balances (account, currency, merchant_id, balance_minor, credits_minor, debits_minor, postings_count)
        select account, currency, max(merchant_id), sum(amount_minor), sum(greatest(amount_minor, 0)), sum(greatest(-amount_minor, 0)), count(*)
          from new_postings
         group by account, currency
         order by account, currency
        on conflict (account, currency) do update set
          balance_minor = ledger_account_balances.balance_minor + excluded.balance_minor,
          credits_minor = ledger_account_balances.credits_minor + excluded.credits_minor,
          debits_minor = ledger_account_balances.debits_minor + excluded.debits_minor,
          postings_count = ledger_account_balances.postings_count + excluded.postings_count,
          updated_at = now();
        return null;
      end $$;`);
    this.addSql(`
      create trigger ledger_postings_check_and_move_balances
        after insert on ledger_postings referencing new table as new_postings
        for each statement execute function ledger_postings_check_and_move_balances();`);
    this.addSql(`drop function ledger_posting_moves_balance();`);
    this.addSql(`drop function ledger_entry_must_balance();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger ledger_postings_check_and_move_balances on ledger_postings;`);
    this.addSql(`drop function ledger_postings_check_and_move_balances();`);
    this.addSql(`
      create function ledger_entry_must_balance() returns trigger language plpgsql as $$
      begin
        if exists (
          select 1 from ledger_postings where entry_id = new.entry_id
          group by currency having sum(amount_minor) <> 0
        ) then
          raise exception 'ledger entry % does not balance', new.entry_id using errcode = '23514';
        end if;
        if (select count(*) from ledger_postings where entry_id = new.entry_id) < 2 then
          raise exception 'ledger entry % needs at least two postings', new.entry_id using errcode = '23514';
        end if;
        return null;
      end $$;`);
    this.addSql(`
      create constraint trigger ledger_postings_balance
        after insert on ledger_postings deferrable initially deferred
        for each row execute function ledger_entry_must_balance();`);
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
  }
}

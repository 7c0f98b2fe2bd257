import { Migration } from '@mikro-orm/migrations';

/** Indexes for the list filters: customers by email (GET /v1/customers?email=) and invoices by customer (GET /v1/invoices?customer=). */
export class Migration20261121090000CustomersPlans extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index customers_merchant_email_idx on customers (merchant_id, lower(email), created_at desc, id desc);`);
    this.addSql(`create index invoices_customer_created_idx on invoices (customer_id, created_at desc, id desc);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists invoices_customer_created_idx;');
    this.addSql('drop index if exists customers_merchant_email_idx;');
  }
}

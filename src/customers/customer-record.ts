/** A customer as stored: who pays a merchant's subscriptions, and with which source. Pure: workflows may import it. */
export interface CustomerRecord {
  id: string;
  merchantId: string;
  email: string;
  name: string | null;
  /** A gateway source token such as tok_visa, never card data. */
  defaultSource: string;
  metadata: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

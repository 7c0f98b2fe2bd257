import { apiTimestamp } from '../shared/timestamps';
import type { CustomerRecord } from './customer-record';

/** A customer as the API shows it. The source is a token, not card data, so it is shown as is. */
export interface CustomerJson {
  id: string;
  object: 'customer';
  email: string;
  name: string | null;
  default_source: string;
  metadata: Record<string, string>;
  created_at: string;
}

export function renderCustomer(customer: CustomerRecord): CustomerJson {
  return {
    id: customer.id,
    object: 'customer',
    email: customer.email,
    name: customer.name,
    default_source: customer.defaultSource,
    metadata: customer.metadata,
    created_at: apiTimestamp(customer.createdAt),
  };
}

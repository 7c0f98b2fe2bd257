import { apiTimestamp } from '../shared/timestamps';
import type { CardTokenRecord } from './card-token-record';

/** A token as the API shows it: brand, last four digits and expiry, never the number. */
export interface TokenJson {
  id: string;
  object: 'token';
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string };
  created_at: string;
}

export function renderToken(token: CardTokenRecord): TokenJson {
  return {
    id: token.id,
    object: 'token',
    card: { brand: token.brand, last4: token.last4, exp_month: token.expMonth, exp_year: token.expYear, fingerprint: token.fingerprint },
    created_at: apiTimestamp(token.createdAt),
  };
}

import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { sandboxBehaviour } from '../gateways/sandbox/sandbox-tokens';
import { CardTokenRepository } from '../vault/card-token-repository';
import { CARD_BRANDS } from './routing-rules';

// Stripe's documented test sources name their brand: pm_card_visa, pm_card_mastercard_debit, tok_amex, tok_discover...
const NAMED_TEST_SOURCE = new RegExp(`^(?:pm_card|tok)_(${CARD_BRANDS.join('|')})(?:_|$)`);

/** The brand a sandbox or Stripe test source is named for; undefined when the name says nothing. */
export function brandOfNamedSource(source: string): string | undefined {
  const sandbox = sandboxBehaviour(source);
  if (sandbox) return sandbox.brand;
  return NAMED_TEST_SOURCE.exec(source)?.[1];
}

/**
 * The card brand of a payment's source, for rules that match by brand: by name for test tokens, and
 * for the merchant's own vault token by the brand stored when the card was tokenized (its number is
 * never opened for this). Undefined when unknown: a rule naming brands then does not match.
 */
export async function cardBrandOf(orm: Orm, merchantId: string, source: string): Promise<string | undefined> {
  const named = brandOfNamedSource(source);
  if (named) return named;
  const token = await new CardTokenRepository(sqlFor(orm.em.fork())).find(source);
  return token && token.merchantId === merchantId ? token.brand : undefined;
}

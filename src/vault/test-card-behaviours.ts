import type { CardBrand } from './card-validation';

/**
 * Test card numbers and the sandbox token whose behaviour they take, as in Stripe's test mode.
 * The name is stored with the vault token when it is made, so nothing later needs the number.
 */
const TEST_CARDS: Readonly<Record<string, string>> = Object.freeze({
  '4242424242424242': 'tok_visa',
  '4000000000000002': 'tok_chargeDeclined',
  '4000000000009995': 'tok_insufficient_funds',
  '4000000000000069': 'tok_expired_card',
  '5555555555554444': 'tok_mastercard',
  '378282246310005': 'tok_amex',
  '4000002760003184': 'tok_threeDSecure2Required',
  '4000002500003155': 'tok_threeDSecureRequired',
});

const BY_BRAND: Record<CardBrand, string> = { visa: 'tok_visa', mastercard: 'tok_mastercard', amex: 'tok_amex' };

/** The sandbox behaviour of a (valid) card number: a listed test card's, else success like the brand's plain token. */
export function testCardBehaviour(pan: string, brand: CardBrand): string {
  return Object.prototype.hasOwnProperty.call(TEST_CARDS, pan) ? TEST_CARDS[pan] : BY_BRAND[brand];
}

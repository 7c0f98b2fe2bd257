import { defineRoute, type ApiRoute } from '../api/route';
import { errorResponses, errorSchema } from '../api/common-schemas';
import type { CardVault } from './card-vault';
import { createTokenBody, tokenSchema } from './card-token-schemas';
import { renderToken } from './card-token-view';

/** POST /v1/tokens: card numbers in, vault tokens out. */
export function cardTokenRoutes(vault: CardVault): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/tokens',
      operationId: 'createToken',
      tags: ['Tokens'],
      auth: 'merchant',
      summary: 'Tokenize a card',
      description:
        'Validates the card (length, Luhn, brand, expiry, CVC shape) and stores its number encrypted. Errors name the field (`card[number]`, `card[exp_month]`, `card[cvc]`, ...) and never repeat the number. The CVC is discarded.',
      body: createTokenBody,
      responses: {
        201: { description: 'The token.', schema: tokenSchema },
        ...errorResponses,
        503: { description: 'The card vault has no keys configured.', schema: errorSchema },
      },
      async handle({ body, merchant }) {
        const { number, exp_month: expMonth, exp_year: expYear, cvc } = body.card;
        return { status: 201, body: renderToken(await vault.tokenize(merchant, { number, expMonth, expYear, cvc })) };
      },
    }),
  ];
}

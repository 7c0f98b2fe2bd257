import type { Context } from 'koa';
import type { Merchant } from '../merchants/merchant-record';
import type { MerchantService } from '../merchants/merchant-service';
import { secretsEqual } from '../merchants/api-keys';
import { ApiError } from '../shared/api-error';
import { setCaller } from './caller';

function bearerToken(ctx: Context): string {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match)
    throw ApiError.unauthorized(
      header ? 'Authorization header must be "Bearer <api key>"' : 'No API key provided: send "Authorization: Bearer <api key>"',
    );
  return match[1];
}

/** The merchant behind the request's secret key (remembered with the key as the request's caller), or a 401. */
export async function authenticateMerchant(ctx: Context, merchants: MerchantService): Promise<Merchant> {
  const found = await merchants.authenticateKey(bearerToken(ctx));
  if (!found) throw ApiError.unauthorized();
  setCaller(ctx, {
    kind: 'merchant',
    merchantId: found.merchant.id,
    keyId: found.key.id,
    keyPrefix: found.key.prefix,
    keyLast4: found.key.last4,
  });
  return found.merchant;
}

/** Checks the platform admin key, or a 401. */
export function authenticateAdmin(ctx: Context, adminApiKey: string | undefined): void {
  const token = bearerToken(ctx);
  if (!adminApiKey || !secretsEqual(token, adminApiKey)) throw ApiError.unauthorized('Invalid admin API key provided');
  setCaller(ctx, { kind: 'admin' });
}

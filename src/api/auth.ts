import type { Context } from 'koa';
import type { Merchant } from '../merchants/merchant-record';
import type { MerchantService } from '../merchants/merchant-service';
import { secretsEqual } from '../merchants/api-keys';
import { ApiError } from '../shared/api-error';
import { setCaller, matchedRouteOf } from './caller';
import type { OAuthTokenService } from '../oauth/oauth-token-service';
import { isAccessToken, ACCESS_TOKEN_PREFIX } from '../oauth/oauth-secrets';
import { requiredScope } from '../oauth/oauth-scopes';

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
export async function authenticateMerchant(ctx: Context, merchants: MerchantService, oauthTokens?: OAuthTokenService): Promise<Merchant> {
  const bearer = bearerToken(ctx);
  if (oauthTokens && isAccessToken(bearer)) return authenticateAccessToken(ctx, bearer, oauthTokens);
  const found = await merchants.authenticateKey(bearer);
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

/** The merchant behind an OAuth access token, if the token's scopes cover the route (SCOPE_RULES); else a 401 or a 403. */
async function authenticateAccessToken(ctx: Context, bearer: string, oauthTokens: OAuthTokenService): Promise<Merchant> {
  const found = await oauthTokens.authenticateAccessToken(bearer);
  if (!found) throw ApiError.unauthorized('Invalid, expired or revoked access token');
  setCaller(ctx, {
    kind: 'merchant',
    merchantId: found.merchant.id,
    keyId: found.clientId,
    keyPrefix: ACCESS_TOKEN_PREFIX,
    keyLast4: found.last4,
    oauth: { clientId: found.clientId, tokenId: found.tokenId, scopes: found.scopes },
  });
  const route = matchedRouteOf(ctx);
  const scope = route ? requiredScope(ctx.method, route.path) : undefined;
  if (!scope) throw new ApiError(403, 'This operation takes a secret API key: OAuth access tokens cannot call it', 'insufficient_scope');
  if (!found.scopes.includes(scope))
    throw new ApiError(403, `This operation needs the ${scope} scope, which the access token lacks`, 'insufficient_scope');
  return found.merchant;
}

/** Checks the platform admin key, or a 401. */
export function authenticateAdmin(ctx: Context, adminApiKey: string | undefined): void {
  const token = bearerToken(ctx);
  if (!adminApiKey || !secretsEqual(token, adminApiKey)) throw ApiError.unauthorized('Invalid admin API key provided');
  setCaller(ctx, { kind: 'admin' });
}

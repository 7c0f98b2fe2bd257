import type { ParameterizedContext } from 'koa';
import { z } from 'zod';
import { errorResponses, errorSchema } from '../api/common-schemas';
import { defineRoute, type ApiRoute, type RawBodySpec, type RouteResult } from '../api/route';
import { presentedClient } from './oauth-client-auth';
import { OAuthError } from './oauth-errors';
import { oauthErrorSchema, revokeRequestBody, tokenRequestBody, tokenResponseSchema } from './oauth-schemas';
import type { OAuthTokenService } from './oauth-token-service';

const TAGS = ['OAuth'];
// RFC 6749 §5.1: token answers must never be cached, errors included.
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const FORM: RawBodySpec = {
  mediaType: 'application/x-www-form-urlencoded',
  field: 'grant_type',
  limitBytes: 8 * 1024,
  description: 'The same fields, form-encoded as RFC 6749 prefers.',
};
// Our own checks (a field of the wrong type, a body that is not JSON) still answer in the API's shape.
const eitherError = z.union([oauthErrorSchema, errorSchema]);
const RFC_NOTE =
  'Client authentication: HTTP Basic (client_id:client_secret) or client_id and client_secret in the body, not both. ' +
  "Errors are RFC 6749 §5.2's `{ error, error_description }` (with `code` repeating `error`), not the API's usual shape.";

async function answerRfc(ctx: ParameterizedContext, work: () => Promise<RouteResult>): Promise<RouteResult> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    if (error.status === 401 && error.basicChallenge) ctx.set('WWW-Authenticate', 'Basic realm="ledgerflow", charset="UTF-8"');
    return { status: error.status, body: error.body };
  }
}

const responses = (ok: { description: string; schema: z.ZodType }) => ({
  200: ok,
  400: {
    description: 'invalid_request, invalid_grant, unauthorized_client, unsupported_grant_type or invalid_scope.',
    schema: eitherError,
  },
  401: { description: 'invalid_client (with WWW-Authenticate: Basic when Basic was used).', schema: oauthErrorSchema },
  429: errorResponses[429],
});

/** POST /v1/oauth/token and /v1/oauth/revoke: the client authenticates itself, no API key. */
export function oauthTokenRoutes(tokens: OAuthTokenService): ApiRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/oauth/token',
      operationId: 'createOAuthToken',
      tags: TAGS,
      auth: 'none',
      summary: 'Exchange client credentials or a refresh token for an access token (RFC 6749)',
      description: `grant_type=client_credentials or refresh_token (each refresh token works once; reusing one revokes every token of its grant). ${RFC_NOTE}`,
      body: tokenRequestBody,
      rawBody: FORM,
      responseHeaders: NO_STORE,
      responses: responses({ description: 'The tokens.', schema: tokenResponseSchema }),
      async handle({ body }, ctx) {
        return answerRfc(ctx, async () => ({
          status: 200,
          body: await tokens.token(presentedClient(ctx.get('authorization'), body), body),
        }));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/oauth/revoke',
      operationId: 'revokeOAuthToken',
      tags: TAGS,
      auth: 'none',
      summary: "Revoke one of the client's tokens (RFC 7009): a refresh token with every token of its grant",
      description: `Answers 200 for an unknown token too. ${RFC_NOTE}`,
      body: revokeRequestBody,
      rawBody: FORM,
      responseHeaders: NO_STORE,
      responses: responses({ description: 'Revoked, or nothing to revoke.', schema: z.object({}) }),
      async handle({ body }, ctx) {
        return answerRfc(ctx, async () => {
          await tokens.revoke(presentedClient(ctx.get('authorization'), body), body);
          return { status: 200, body: {} };
        });
      },
    }),
  ];
}

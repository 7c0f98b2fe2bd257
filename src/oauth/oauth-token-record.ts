/** What the token tables share: each token belongs to a family (every token descended from one grant). */
interface OAuthTokenColumns {
  id: string;
  family_id: string;
  oauth_client_id: string;
  merchant_id: string;
  scope: string;
  expires_at: Date;
  revoked_at: Date | null;
}

/** A row of `oauth_access_tokens`, without its hash. */
export type OAuthAccessTokenRow = OAuthTokenColumns;

/** A row of `oauth_refresh_tokens`, without its hash; `used_at` is set when it was exchanged (rotated). */
export interface OAuthRefreshTokenRow extends OAuthTokenColumns {
  used_at: Date | null;
}

/** A token to store: its hash, never the token. */
export interface NewOAuthToken {
  id: string;
  familyId: string;
  clientId: string;
  merchantId: string;
  tokenHash: string;
  scope: string;
  ttlSeconds: number;
}

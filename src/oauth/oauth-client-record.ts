/** A row of `oauth_clients`: a merchant's OAuth client (its secrets live in `oauth_client_secrets`, hashed). */
export interface OAuthClientRow {
  id: string;
  merchant_id: string;
  client_id: string;
  name: string | null;
  /** Space-separated, as RFC 6749 writes scopes. */
  scope: string;
  /** Space-separated grant types the client may use. */
  grant_types: string;
  created_at: Date;
  deleted_at: Date | null;
}

/** A row of `oauth_client_secrets`, without its hash. */
export interface OAuthClientSecretRow {
  id: string;
  last4: string;
  created_at: Date;
  expires_at: Date | null;
}

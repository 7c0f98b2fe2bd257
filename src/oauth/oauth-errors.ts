/** The error codes of RFC 6749 §5.2 (the token endpoint) and RFC 7009 §2.2.1 (revocation), with the status each answers. */
export const OAUTH_ERROR_STATUS = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  unsupported_token_type: 400,
} as const;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_STATUS;

/**
 * A refusal of the token or revocation endpoint, answered in the RFC's shape `{ error, error_description }`
 * rather than the API's own (whose `code` it repeats, so clients of either shape read it).
 */
export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** The client tried HTTP Basic: a 401 then carries `WWW-Authenticate: Basic` (RFC 6749 §5.2). */
    readonly basicChallenge = false,
  ) {
    super(description);
    this.name = 'OAuthError';
    this.status = OAUTH_ERROR_STATUS[error];
  }

  get body(): { error: OAuthErrorCode; error_description: string; code: OAuthErrorCode } {
    return { error: this.error, error_description: this.description, code: this.error };
  }
}

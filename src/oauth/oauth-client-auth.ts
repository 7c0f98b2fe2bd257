import { OAuthError } from './oauth-errors';

/** The client credentials a token or revocation request carries, and how they came (Basic must be challenged on failure). */
export interface PresentedClient {
  clientId: string;
  clientSecret: string;
  viaBasic: boolean;
}

function decodeFormComponent(value: string): string {
  // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_client', 'The Basic credentials are not properly encoded', true);
  }
}

/**
 * Reads the client's credentials from HTTP Basic or from the body's client_id and client_secret; using both
 * methods at once is an invalid_request (RFC 6749 §2.3), none at all an invalid_client.
 */
export function presentedClient(authorization: string, body: { client_id?: string; client_secret?: string }): PresentedClient {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (authorization && !basic) {
    throw new OAuthError('invalid_client', 'Client authentication must be HTTP Basic, or client_id and client_secret in the body', true);
  }
  if (basic && inBody) throw new OAuthError('invalid_request', 'Authenticate the client one way only: HTTP Basic or the body, not both');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'The Basic credentials must be client_id:client_secret', true);
    return {
      clientId: decodeFormComponent(decoded.slice(0, colon)),
      clientSecret: decodeFormComponent(decoded.slice(colon + 1)),
      viaBasic: true,
    };
  }
  if (!body.client_id || !body.client_secret) {
    throw new OAuthError('invalid_client', 'Client authentication is required: HTTP Basic, or client_id and client_secret in the body');
  }
  return { clientId: body.client_id, clientSecret: body.client_secret, viaBasic: false };
}

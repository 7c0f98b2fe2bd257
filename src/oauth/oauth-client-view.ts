import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { OAuthClientRow, OAuthClientSecretRow } from './oauth-client-record';
import { CLIENT_SECRET_PREFIX } from './oauth-secrets';

export interface OAuthClientSecretJson {
  id: string;
  redacted: string;
  created_at: string;
  expires_at: string | null;
}

export interface OAuthClientJson {
  id: string;
  object: 'oauth_client';
  client_id: string;
  name: string | null;
  scopes: string[];
  grant_types: string[];
  secrets: OAuthClientSecretJson[];
  created_at: string;
}

/** A client as the API shows it: its live secrets by last four only. */
export function renderOAuthClient(row: OAuthClientRow, secrets: OAuthClientSecretRow[]): OAuthClientJson {
  return {
    id: row.id,
    object: 'oauth_client',
    client_id: row.client_id,
    name: row.name,
    scopes: row.scope.split(' '),
    grant_types: row.grant_types.split(' '),
    secrets: secrets.map((secret) => ({
      id: secret.id,
      redacted: `${CLIENT_SECRET_PREFIX}...${secret.last4}`,
      created_at: apiTimestamp(secret.created_at),
      expires_at: apiTimestampOrNull(secret.expires_at),
    })),
    created_at: apiTimestamp(row.created_at),
  };
}

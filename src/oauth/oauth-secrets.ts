import { hashApiKey } from '../merchants/api-keys';
import { randomBase62 } from '../shared/ids';

/** Access tokens start with this, so authentication tells them from secret keys without a lookup. */
export const ACCESS_TOKEN_PREFIX = 'lfat_';
export const REFRESH_TOKEN_PREFIX = 'lfrt_';
export const CLIENT_ID_PREFIX = 'lfci_';
export const CLIENT_SECRET_PREFIX = 'lfcs_';

/** How long an access token works; short, since a stolen one is only revoked when someone notices. */
export const ACCESS_TOKEN_TTL_SECONDS = 900;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

export const newAccessToken = () => `${ACCESS_TOKEN_PREFIX}${randomBase62(40)}`;
export const newRefreshToken = () => `${REFRESH_TOKEN_PREFIX}${randomBase62(40)}`;
export const newClientId = () => `${CLIENT_ID_PREFIX}${randomBase62(24)}`;
export const newClientSecret = () => `${CLIENT_SECRET_PREFIX}${randomBase62(40)}`;

/** Secrets and tokens are stored by this hash only (the same SHA-256 as API keys: they are random, so no stretching is needed). */
export const hashSecret = hashApiKey;

export const isAccessToken = (bearer: string) => bearer.startsWith(ACCESS_TOKEN_PREFIX);

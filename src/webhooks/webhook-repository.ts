import type { EntityManager } from '@mikro-orm/postgresql';
import { selectEntitiesNewestFirst, type Page } from '../db/pagination';
import { sqlFor } from '../db/sql';
import type { SealedSecret } from '../vault/sealed-secrets';
import { WebhookAttemptEntity, WebhookEndpointEntity, type WebhookAttempt, type WebhookEndpoint } from './webhook-record';

/** An endpoint's signing secrets as stored: sealed, or (an endpoint from before sealing, until it is sealed) still in clear. */
export interface StoredSecrets {
  secret_key_id: string | null;
  secret_ciphertext: Buffer | null;
  previous_secret_key_id: string | null;
  previous_secret_ciphertext: Buffer | null;
  // Raw queries through the ORM return timestamps as strings.
  previous_secret_expires_at: string | null;
  /** True while the clear columns hold a secret: the row must be sealed before it signs anything. */
  secret_in_clear: boolean;
}

const STORED_SECRETS = `w.secret_key_id, w.secret_ciphertext, w.previous_secret_key_id, w.previous_secret_ciphertext,
  w.previous_secret_expires_at, (w.secret is not null or w.previous_secret is not null) as secret_in_clear`;

/** What one delivery attempt needs: the endpoint, its merchant's mode and the event, read together. */
export interface DeliveryTarget extends StoredSecrets {
  url: string;
  status: string;
  livemode: boolean;
  type: string;
  created_at: string;
  data: Record<string, unknown>;
}

/** One delivery attempt as it is recorded, whatever its outcome. */
export interface AttemptOutcome {
  id: string;
  endpointId: string;
  eventId: string;
  attempt: number;
  url: string;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  succeeded: boolean;
}

/** The `webhook_endpoints` and `webhook_attempts` tables (the `events` log they serve is the event repository's). */
export class WebhookRepository {
  constructor(private readonly em: EntityManager) {}

  async insertEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    await this.em.insert(WebhookEndpointEntity, endpoint);
  }

  /** The merchant's endpoint, unless deleted. */
  async findEndpoint(merchantId: string, id: string): Promise<WebhookEndpoint | null> {
    return this.em.findOne(WebhookEndpointEntity, { id, merchantId, deletedAt: null }, { disableIdentityMap: true });
  }

  /** One page of the merchant's endpoints (deleted ones left out), newest first, after `startingAfter` (checked to be the merchant's own). */
  async listEndpoints(merchantId: string, limit: number, startingAfter?: string): Promise<Page<WebhookEndpoint>> {
    return selectEntitiesNewestFirst<WebhookEndpoint>(
      this.em,
      WebhookEndpointEntity,
      'webhook_endpoints',
      [['merchant_id = ?', merchantId], ['deleted_at is null']],
      limit,
      startingAfter,
    );
  }

  /** The merchant's enabled endpoints, whatever events they subscribe to. */
  async listEnabledEndpoints(merchantId: string): Promise<WebhookEndpoint[]> {
    return this.em.find(WebhookEndpointEntity, { merchantId, deletedAt: null, status: 'enabled' });
  }

  /** The ids of the merchant's enabled endpoints subscribed to `eventType` (or to every event). */
  async subscribedEndpointIds(merchantId: string, eventType: string): Promise<{ id: string }[]> {
    return sqlFor(this.em).query<{ id: string }>(
      `select id from webhook_endpoints where merchant_id = ? and status = 'enabled' and deleted_at is null
          and (enabled_events @> jsonb_build_array(?::text) or enabled_events @> '["*"]'::jsonb)`,
      [merchantId, eventType],
    );
  }

  async updateEndpoint(id: string, changes: Partial<WebhookEndpoint>): Promise<void> {
    await this.em.nativeUpdate(WebhookEndpointEntity, { id }, changes);
  }

  /** The endpoint's secrets as stored (deleted or not), or undefined when there is no such endpoint. */
  async findStoredSecrets(endpointId: string): Promise<StoredSecrets | undefined> {
    const [row] = await sqlFor(this.em).query<StoredSecrets>(`select ${STORED_SECRETS} from webhook_endpoints w where w.id = ?`, [
      endpointId,
    ]);
    return row;
  }

  /** A new sealed secret; the current one becomes the previous one (the sealed bytes move as they are: same binding), signing until `previousExpiresAt`. */
  async rotateSealedSecret(endpointId: string, sealed: SealedSecret, previousExpiresAt: Date, at: Date): Promise<void> {
    await sqlFor(this.em).query(
      `update webhook_endpoints
          set previous_secret_key_id = secret_key_id, previous_secret_ciphertext = secret_ciphertext, previous_secret_expires_at = ?,
              secret_key_id = ?, secret_ciphertext = ?, updated_at = ?
        where id = ?`,
      [previousExpiresAt, sealed.keyId, sealed.ciphertext, at, endpointId],
    );
  }

  /** Up to `limit` endpoints (deleted ones too) whose clear columns still hold a secret. */
  async endpointIdsWithClearSecrets(limit: number): Promise<string[]> {
    const rows = await sqlFor(this.em).query<{ id: string }>(
      `select id from webhook_endpoints where secret is not null or previous_secret is not null order by id limit ?`,
      [limit],
    );
    return rows.map((row) => row.id);
  }

  /**
   * Seals the endpoint's secrets still in clear with `seal` and empties the clear columns, in one
   * transaction holding the row, so two processes sealing at once seal it once. False when nothing was in clear.
   */
  async sealClearSecrets(endpointId: string, seal: (clear: string) => SealedSecret): Promise<boolean> {
    return this.em.transactional(async (em) => {
      const sql = sqlFor(em);
      const [row] = await sql.query<{ secret: string | null; previous_secret: string | null }>(
        `select secret, previous_secret from webhook_endpoints where id = ? for update`,
        [endpointId],
      );
      if (!row || (row.secret === null && row.previous_secret === null)) return false;
      if (row.secret !== null) {
        const sealed = seal(row.secret);
        await sql.query(`update webhook_endpoints set secret_key_id = ?, secret_ciphertext = ?, secret = null where id = ?`, [
          sealed.keyId,
          sealed.ciphertext,
          endpointId,
        ]);
      }
      if (row.previous_secret !== null) {
        const sealed = seal(row.previous_secret);
        await sql.query(
          `update webhook_endpoints set previous_secret_key_id = ?, previous_secret_ciphertext = ?, previous_secret = null where id = ?`,
          [sealed.keyId, sealed.ciphertext, endpointId],
        );
      }
      return true;
    });
  }

  /** Deletes softly: the row stays, disabled, for its delivery attempts. */
  async markEndpointDeleted(id: string): Promise<void> {
    await this.em.nativeUpdate(WebhookEndpointEntity, { id }, { deletedAt: new Date(), status: 'disabled', updatedAt: new Date() });
  }

  /** A delivery attempt to this endpoint. */
  async findAttempt(endpointId: string, id: string): Promise<WebhookAttempt | null> {
    return this.em.findOne(WebhookAttemptEntity, { id, endpointId });
  }

  /** One page of the endpoint's delivery attempts, newest first, after `startingAfter` (checked to be the endpoint's own). */
  async listAttempts(endpointId: string, limit: number, startingAfter?: string): Promise<Page<WebhookAttempt>> {
    return selectEntitiesNewestFirst<WebhookAttempt>(
      this.em,
      WebhookAttemptEntity,
      'webhook_attempts',
      [['endpoint_id = ?', endpointId]],
      limit,
      startingAfter,
    );
  }

  /** The endpoint (unless deleted), its merchant's mode and the event of that merchant; undefined when any is missing. */
  async findDeliveryTarget(eventId: string, endpointId: string): Promise<DeliveryTarget | undefined> {
    const [target] = await sqlFor(this.em).query<DeliveryTarget>(
      `select w.url, w.status, ${STORED_SECRETS}, m.livemode, e.type, e.created_at, e.data
         from webhook_endpoints w join merchants m on m.id = w.merchant_id join events e on e.id = ? and e.merchant_id = w.merchant_id
        where w.id = ? and w.deleted_at is null`,
      [eventId, endpointId],
    );
    return target;
  }

  /** Records an attempt; its webhook-id is the event id, the same on every retry. */
  async insertAttempt(attempt: AttemptOutcome): Promise<void> {
    await sqlFor(this.em).query(
      `insert into webhook_attempts (id, endpoint_id, event_id, webhook_id, attempt, url, status_code, latency_ms, response_excerpt, error, succeeded)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        attempt.id,
        attempt.endpointId,
        attempt.eventId,
        attempt.eventId,
        attempt.attempt,
        attempt.url,
        attempt.statusCode,
        attempt.latencyMs,
        attempt.responseExcerpt,
        attempt.error,
        attempt.succeeded,
      ],
    );
  }

  /** After a successful delivery: the endpoint is no longer failing. */
  async clearFailing(endpointId: string): Promise<void> {
    await sqlFor(this.em).query(`update webhook_endpoints set failing_since = null where id = ?`, [endpointId]);
  }

  /** After a failed delivery: failing since `at`, unless it was failing already. */
  async markFailingSince(endpointId: string, at: Date): Promise<void> {
    await sqlFor(this.em).query(`update webhook_endpoints set failing_since = coalesce(failing_since, ?) where id = ?`, [at, endpointId]);
  }

  /** The endpoint answered 410 Gone: it is disabled. */
  async disableGone(endpointId: string): Promise<void> {
    await sqlFor(this.em).query(
      `update webhook_endpoints set status = 'disabled', disabled_reason = 'The endpoint answered 410 Gone', updated_at = now() where id = ?`,
      [endpointId],
    );
  }

  /** Disables the endpoint if it is enabled and no delivery to it succeeded since `since`; answers its merchant and URL when it did. */
  async disableIfNoSuccessSince(endpointId: string, since: Date): Promise<{ merchant_id: string; url: string } | undefined> {
    const [disabled] = await sqlFor(this.em).query<{ merchant_id: string; url: string }>(
      `update webhook_endpoints set status = 'disabled', updated_at = now(), disabled_reason = 'Every delivery failed for about three days'
        where id = ? and status = 'enabled'
          and not exists (select 1 from webhook_attempts a where a.endpoint_id = webhook_endpoints.id and a.succeeded and a.created_at >= ?)
        returning merchant_id, url`,
      [endpointId, since],
    );
    return disabled;
  }
}

import { z } from 'zod';
import type { DisputeService } from '../disputes/dispute-service';
import { ApiError } from '../shared/api-error';
import { verifyGatewayEvent } from './gateway-event-signature';

const disputeCreated = z.object({
  charge: z.string().min(1),
  amount_minor: z.number().int().positive().optional(),
  currency: z.string().optional(),
  reason: z.string().default('general'),
  dispute: z.string().min(1),
});
const disputeClosed = z.object({ dispute: z.string().min(1), outcome: z.enum(['won', 'lost']) });

export const gatewayEventBody = z
  .object({
    id: z.string().describe("The gateway's event id."),
    type: z.string().describe('dispute.created or dispute.closed; other types are acknowledged and ignored.'),
    data: z.record(z.string(), z.unknown()),
  })
  .describe('A signed notification from a gateway (header Gateway-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">).');

/** Verifies and dispatches the notifications gateways send us about what the card networks did. */
export class GatewayEventService {
  constructor(private readonly deps: { secrets: Record<string, string>; disputes: DisputeService }) {}

  /**
   * Verifies a gateway's signed event and opens or decides the dispute it reports; other event types are acknowledged.
   * @throws 404 resource_missing, 400 invalid_signature, 400 invalid_event, 400 payment_not_disputable, 409 dispute_unexpected_state, 409 dispute_operation_in_progress, 503 dispute_pending, 503 engine_unavailable
   */
  async receive(gateway: string, rawBody: string, signature: string | undefined): Promise<{ received: true; dispute?: unknown }> {
    const secret = this.deps.secrets[gateway];
    if (!secret) throw ApiError.notFound(`Unknown gateway ${gateway}`, 'resource_missing', 'gateway');
    if (!verifyGatewayEvent(secret, rawBody, signature))
      throw ApiError.badRequest('Invalid or missing Gateway-Signature', 'invalid_signature', 'Gateway-Signature');
    let event: z.infer<typeof gatewayEventBody>;
    try {
      event = gatewayEventBody.parse(JSON.parse(rawBody));
    } catch {
      throw ApiError.badRequest('The event is not a valid gateway event', 'invalid_event');
    }
    if (event.type === 'dispute.created') {
      const data = disputeCreated.safeParse(event.data);
      if (!data.success) throw ApiError.badRequest('dispute.created needs data.charge and data.dispute', 'invalid_event', 'data');
      const dispute = await this.deps.disputes.openFromNetwork({
        gateway,
        charge: data.data.charge,
        amountMinor: data.data.amount_minor,
        reason: data.data.reason,
        networkReference: data.data.dispute,
      });
      return { received: true, dispute };
    }
    if (event.type === 'dispute.closed') {
      const data = disputeClosed.safeParse(event.data);
      if (!data.success)
        throw ApiError.badRequest('dispute.closed needs data.dispute and data.outcome won or lost', 'invalid_event', 'data');
      return { received: true, dispute: await this.deps.disputes.resolveFromNetwork(gateway, data.data.dispute, data.data.outcome) };
    }
    return { received: true };
  }
}

import { z } from 'zod';
import { DISPUTE_REASONS, DISPUTE_STATUSES, EVIDENCE_FIELDS } from './dispute-state';

export const disputeIdParams = z.strictObject({ id: z.string().max(255).describe('The dispute id, dp_...') });

const evidenceSchema = z.strictObject(
  Object.fromEntries(EVIDENCE_FIELDS.map((field) => [field, z.string().max(20_000).optional()])) as Record<
    (typeof EVIDENCE_FIELDS)[number],
    z.ZodOptional<z.ZodString>
  >,
);

export const submitEvidenceBody = z.strictObject({
  evidence: evidenceSchema.default({}).describe('Structured evidence; fields given again replace earlier drafts.'),
  submit: z.boolean().default(true).describe('true submits the evidence for review (once); false saves a draft.'),
});

export const listDisputesQuery = z.strictObject({
  status: z.enum(DISPUTE_STATUSES).optional(),
  payment_id: z.string().max(255).optional().describe('Only the disputes of this payment.'),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional(),
});

export const simulateDisputeBody = z.strictObject({
  reason: z.enum(DISPUTE_REASONS).default('fraudulent'),
  amount: z
    .union([z.number(), z.string().max(32)])
    .optional()
    .describe('Disputed amount in major units; defaults to everything not refunded.'),
});

export const resolveDisputeBody = z.strictObject({ outcome: z.enum(['won', 'lost']) });

export const disputeSchema = z
  .object({
    id: z.string(),
    object: z.literal('dispute'),
    payment_id: z.string(),
    amount: z.number(),
    fee: z.number(),
    currency: z.string(),
    status: z.enum(DISPUTE_STATUSES),
    reason: z.string(),
    evidence: z.record(z.string(), z.string()),
    evidence_details: z.object({ due_by: z.string(), submitted_at: z.string().nullable(), has_evidence: z.boolean() }),
    closed_reason: z.enum(['accepted', 'no_response', 'network_decision']).nullable(),
    created_at: z.string(),
  })
  .describe('A dispute (chargeback).');

export const disputeListSchema = z.object({ object: z.literal('list'), data: z.array(disputeSchema), has_more: z.boolean() });

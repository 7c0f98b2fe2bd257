import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { eventually, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { createTracing } from '../../src/temporal/tracing';

// Both services export to memory instead of a collector; the worker bundles the workflows with the tracing module.
const exporter = new InMemorySpanExporter();
const api = createTracing({ serviceName: 'ledgerflow-api', exporter });
const worker = createTracing({ serviceName: 'ledgerflow-worker', exporter });

let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), { tracing: { api, worker } });

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const serviceOf = (span: ReadableSpan) => span.resource.attributes['service.name'];

describe('OpenTelemetry tracing (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it(
    'when a payment is created through the API, then the client start, the workflow run and its activities are spans of one trace',
    { timeout: 60_000 },
    async () => {
      const response = await stack.request('POST', '/v1/payments', {
        apiKey: merchant.apiKey,
        body: { amount: 12, currency: 'USD', source: 'tok_visa' },
      });
      expect(response.status).toBe(201);
      expect(response.body.status).toBe('succeeded');
      const workflowId = `payment-${response.body.id}`;

      const spans = await eventually(async () => {
        const all = exporter.getFinishedSpans();
        const start = all.find((span) => span.name.startsWith('StartWorkflow:') && span.attributes.temporalWorkflowId === workflowId);
        const run =
          start && all.find((span) => span.name.startsWith('RunWorkflow:') && span.spanContext().traceId === start.spanContext().traceId);
        const authorize =
          run && all.find((span) => span.name === 'RunActivity:authorizePayment' && span.attributes.temporalWorkflowId === workflowId);
        return start && run && authorize
          ? { start, run, authorize, trace: all.filter((span) => span.spanContext().traceId === start.spanContext().traceId) }
          : undefined;
      }, 20_000);

      expect(serviceOf(spans.start)).toBe('ledgerflow-api');
      expect(serviceOf(spans.run)).toBe('ledgerflow-worker');
      expect(serviceOf(spans.authorize)).toBe('ledgerflow-worker');
      // One chain: start -> run -> StartActivity (scheduled in the workflow) -> RunActivity.
      expect(spans.run.parentSpanId).toBe(spanId(spans.start));
      expect(spans.authorize.spanContext().traceId).toBe(spans.start.spanContext().traceId);
      const scheduled = spans.trace.find((span) => spanId(span) === spans.authorize.parentSpanId);
      expect(scheduled?.name).toBe('StartActivity:authorizePayment');
      expect(scheduled?.parentSpanId).toBe(spanId(spans.run));
    },
  );
});

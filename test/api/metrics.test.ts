import { describe, expect, it } from 'vitest';
import { eventually, TEST_ADMIN_KEY, useTestStack, type TestMerchant, type TestStack } from '../support/test-stack';
import { cancelPayment, createPayment } from '../support/api-calls';
import { startMetricsServer } from '../../src/metrics/worker-metrics';

const METRICS_TOKEN = 'metrics_token_for_the_test';
let stack: TestStack;
let merchant: TestMerchant;
useTestStack((started) => ({ stack, merchant } = started), { env: { METRICS_TOKEN } });

async function scrape(): Promise<string> {
  const response = await stack.request('GET', '/metrics', { apiKey: METRICS_TOKEN });
  expect(response.status).toBe(200);
  return response.body as string;
}

/** The value of one sample, e.g. sample(text, 'payments_total', { outcome: 'failed' }); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return 0;
}

describe('GET /metrics', () => {
  it('when no token, a merchant key or a wrong token is sent, then 401; the admin key and METRICS_TOKEN read the text format', async () => {
    for (const apiKey of [undefined, merchant.apiKey, 'not_the_metrics_token']) {
      const response = await stack.request('GET', '/metrics', { apiKey });
      expect(response.status, String(apiKey)).toBe(401);
      expect(response.body).toMatchObject({ code: 'unauthorized' });
    }
    for (const apiKey of [TEST_ADMIN_KEY, METRICS_TOKEN]) {
      const response = await stack.request('GET', '/metrics', { apiKey });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(response.body).toContain('# TYPE http_requests_total counter');
      expect(response.body).toContain('# TYPE http_request_duration_seconds histogram');
    }
  });

  it('when requests name objects by id, then they are counted and timed by route pattern, never by raw path', async () => {
    const before = await scrape();
    const labels = { method: 'GET', route: '/v1/payments/:id', status: '404' };
    for (const id of ['pay_metricsprobe1', 'pay_metricsprobe2'])
      expect((await stack.request('GET', `/v1/payments/${id}`, { apiKey: merchant.apiKey })).status).toBe(404);
    await stack.request('GET', '/v1/no_such_route_metricsprobe3', { apiKey: merchant.apiKey });
    const after = await scrape();
    expect(sample(after, 'http_requests_total', labels) - sample(before, 'http_requests_total', labels)).toBe(2);
    expect(sample(after, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    const count = { method: 'GET', route: '/v1/payments/:id' };
    expect(sample(after, 'http_request_duration_seconds_count', count) - sample(before, 'http_request_duration_seconds_count', count)).toBe(
      2,
    );
    expect(sample(after, 'http_request_duration_seconds_bucket', { ...count, le: '+Inf' })).toBe(
      sample(after, 'http_request_duration_seconds_count', count),
    );
    expect(after).not.toContain('metricsprobe');
  });

  it('when payments succeed, fail, wait for capture and are canceled, then payments_total counts each outcome once', async () => {
    const outcomes = ['succeeded', 'failed', 'requires_capture', 'canceled'];
    const before = await scrape();
    expect((await createPayment(stack, merchant, { amount: 10, source: 'tok_visa' })).status).toBe('succeeded');
    expect((await createPayment(stack, merchant, { amount: 10, source: 'tok_chargeDeclined' })).status).toBe('failed');
    const held = await createPayment(stack, merchant, { amount: 10, source: 'tok_visa', capture: false });
    expect(held.status).toBe('requires_capture');
    expect((await cancelPayment(stack, merchant, held.id)).status).toBe('canceled');
    const deltas = await eventually(async () => {
      const after = await scrape();
      const found = outcomes.map((outcome) => sample(after, 'payments_total', { outcome }) - sample(before, 'payments_total', { outcome }));
      return found.every((delta) => delta >= 1) ? found : undefined;
    }, 10_000);
    expect(deltas).toEqual([1, 1, 1, 1]);
  });

  it('when a workflow fails, then workflow_failures_total counts it by workflow and failure type', async () => {
    const labels = { workflow_type: 'monthlySubscriptionRevenueWorkflow', failure_type: 'InvalidSubscriptionReportMonth' };
    const before = sample(await scrape(), 'workflow_failures_total', labels);
    const handle = await stack.client.workflow.start('monthlySubscriptionRevenueWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `metrics-failure-${Date.now()}`,
      args: [{ month: 'not-a-month' }],
    });
    await expect(handle.result()).rejects.toThrow();
    const after = await eventually(async () => {
      const value = sample(await scrape(), 'workflow_failures_total', labels);
      return value > before ? value : undefined;
    }, 10_000);
    expect(after - before).toBe(1);
  });

  it('when the worker serves its own metrics port, then it answers the same text to the token and 401 to anyone else', async () => {
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1', metricsToken: METRICS_TOKEN });
    try {
      const anonymous = await fetch(server.url);
      expect(anonymous.status).toBe(401);
      const scraped = await fetch(server.url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await scraped.text();
      expect(text).toContain('# TYPE payments_total counter');
      expect(text).toContain('# TYPE workflow_failures_total counter');
    } finally {
      await server.stop();
    }
  });
});

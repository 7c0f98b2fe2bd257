import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * How a merchant's endpoint misbehaves: `steady` always takes the event; `flaky` answers 500 or
 * 503 with Retry-After about a third of the time; `hanging` sometimes never answers, so the
 * delivery times out; `gone` takes a few events and then answers 410 for good.
 */
export type EndpointBehaviour = 'steady' | 'flaky' | 'hanging' | 'gone';
export const ENDPOINT_BEHAVIOURS: EndpointBehaviour[] = ['steady', 'flaky', 'hanging', 'gone'];
const GONE_AFTER = 5;

export interface EndpointRecord {
  behaviour: EndpointBehaviour;
  secret?: string;
  /** Per webhook-id: attempts that reached the endpoint and the ones it answered 2xx. */
  deliveries: Map<string, { attempts: number; successes: number }>;
  /** What the endpoint's merchant system did: each webhook-id processed once, however often it arrived. */
  processed: Set<string>;
  badSignatures: number;
  goneSince?: number;
  /** Requests that arrived after the endpoint had answered 410 (the processor should have stopped). */
  afterGone: { webhookId: string; at: number }[];
}

export interface WebhookFaults {
  webhook_5xx: number;
  webhook_hang: number;
  webhook_410: number;
}

/** The merchants' webhook endpoints: one HTTP server, one path per endpoint, verifying every signature as a Standard Webhooks receiver must. */
export class ChaosWebhookReceiver {
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly faults: WebhookFaults = { webhook_5xx: 0, webhook_hang: 0, webhook_410: 0 };
  private server?: http.Server;
  private base = '';
  private readonly hanging = new Set<http.ServerResponse>();

  constructor(private readonly random: () => number) {}

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.answer(request, response, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => (this.server as http.Server).listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${((this.server as http.Server).address() as AddressInfo).port}`;
  }

  /** A new endpoint path with the given behaviour; its secret is set once the processor has created it. */
  addEndpoint(name: string, behaviour: EndpointBehaviour): string {
    this.endpoints.set(`/${name}`, { behaviour, deliveries: new Map(), processed: new Set(), badSignatures: 0, afterGone: [] });
    return `${this.base}/${name}`;
  }

  setSecret(url: string, secret: string): void {
    (this.endpoints.get(new URL(url).pathname) as EndpointRecord).secret = secret;
  }

  /** From now on every endpoint takes every event: the heal phase, when what is owed must arrive. */
  heal(): void {
    for (const endpoint of this.endpoints.values()) if (endpoint.behaviour !== 'gone') endpoint.behaviour = 'steady';
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse, body: string): void {
    const endpoint = this.endpoints.get(request.url ?? '');
    if (!endpoint) {
      response.writeHead(404).end();
      return;
    }
    const webhookId = String(request.headers['webhook-id'] ?? '');
    const headers = {
      'webhook-id': webhookId,
      'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
    };
    try {
      new Webhook(endpoint.secret ?? '').verify(body, headers);
    } catch {
      endpoint.badSignatures++;
      response.writeHead(400).end('bad signature');
      return;
    }
    const delivery = endpoint.deliveries.get(webhookId) ?? { attempts: 0, successes: 0 };
    endpoint.deliveries.set(webhookId, delivery);
    delivery.attempts++;

    if (endpoint.goneSince !== undefined) {
      endpoint.afterGone.push({ webhookId, at: Date.now() });
      this.faults.webhook_410++;
      response.writeHead(410).end('gone');
      return;
    }
    if (endpoint.behaviour === 'gone' && endpoint.processed.size >= GONE_AFTER && !endpoint.processed.has(webhookId)) {
      endpoint.goneSince = Date.now();
      this.faults.webhook_410++;
      response.writeHead(410).end('gone');
      return;
    }
    if (endpoint.behaviour === 'flaky' && this.random() < 0.35) {
      this.faults.webhook_5xx++;
      if (this.random() < 0.5) response.writeHead(503, { 'retry-after': '1' }).end('busy');
      else response.writeHead(500).end('oops');
      return;
    }
    if (endpoint.behaviour === 'hanging' && this.random() < 0.25) {
      this.faults.webhook_hang++;
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    delivery.successes++;
    endpoint.processed.add(webhookId);
    response.writeHead(200).end('ok');
  }
}

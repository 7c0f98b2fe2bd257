export interface CallResult<T = any> {
  status: number;
  body: T;
  /** How many times the call was sent (1 when the first answer was final). */
  sends: number;
}

export interface ServerErrorSample {
  method: string;
  path: string;
  status: number;
  body: string;
}

export interface ClientStats {
  requests: number;
  byStatus: Record<string, number>;
  /** Every 5xx answer, kept (the first few in full) even when a retry later succeeded. */
  serverErrors: number;
  serverErrorSamples: ServerErrorSample[];
  /** The first few answers of each 4xx status, to tell a merchant's mistake from a processor's. */
  clientErrorSamples: Record<string, ServerErrorSample[]>;
  /** Requests that got no answer at all (API process down, connection reset, timeout). */
  noAnswer: number;
  retries: number;
  /** Calls that were still failing when their deadline passed. */
  gaveUp: number;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * The merchant integration the load runs through, written the way the processor's docs ask:
 * every mutation carries an Idempotency-Key, and a call that gets no answer, a 429 or a 503 is
 * sent again with the same key after a backoff. Every answer is counted, including the 5xx a
 * retry later hid.
 */
export class ChaosClient {
  readonly stats: ClientStats = {
    requests: 0,
    byStatus: {},
    serverErrors: 0,
    serverErrorSamples: [],
    clientErrorSamples: {},
    noAnswer: 0,
    retries: 0,
    gaveUp: 0,
  };

  constructor(
    private readonly baseUrl: string,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  async call<T = any>(
    method: string,
    path: string,
    options: { apiKey: string; body?: unknown; idempotencyKey?: string; deadlineMs?: number; retry?: boolean },
  ): Promise<CallResult<T>> {
    const deadline = Date.now() + (options.deadlineMs ?? 120_000);
    let delay = 200;
    for (let sends = 1; ; sends++) {
      const answer = await this.send(method, path, options);
      const retryable =
        answer === undefined || RETRYABLE_STATUSES.has(answer.status) || (answer.status >= 500 && options.idempotencyKey !== undefined);
      if (!retryable || options.retry === false) return { ...(answer ?? { status: 0, body: undefined }), sends };
      if (Date.now() + delay > deadline) {
        this.stats.gaveUp++;
        return { ...(answer ?? { status: 0, body: undefined }), sends };
      }
      this.stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 3_000);
    }
  }

  private async send(
    method: string,
    path: string,
    options: { apiKey: string; body?: unknown; idempotencyKey?: string },
  ): Promise<{ status: number; body: any } | undefined> {
    this.stats.requests++;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await response.text();
    } catch {
      this.stats.noAnswer++;
      return undefined;
    }
    this.stats.byStatus[response.status] = (this.stats.byStatus[response.status] ?? 0) + 1;
    if (response.status >= 500) {
      this.stats.serverErrors++;
      if (this.stats.serverErrorSamples.length < 20)
        this.stats.serverErrorSamples.push({ method, path, status: response.status, body: text.slice(0, 300) });
    }
    if (response.status >= 400 && response.status < 500) {
      const samples = (this.stats.clientErrorSamples[response.status] ??= []);
      if (samples.length < 3) samples.push({ method, path, status: response.status, body: text.slice(0, 300) });
    }
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: response.status, body };
  }
}

import { Counter, Gauge, Histogram, MetricRegistry } from './metric-registry';

/**
 * The process's metrics, one registry like prom-client's default: the API and the worker each
 * expose theirs (in tests and `npm start` both run in one process and share it).
 */
export const registry = new MetricRegistry();

export const httpRequestsTotal = registry.register(
  new Counter('http_requests_total', 'HTTP requests answered, by method, route pattern and status.', ['method', 'route', 'status']),
);

export const httpRequestDurationSeconds = registry.register(
  new Histogram(
    'http_request_duration_seconds',
    'HTTP request latency in seconds, by method and route pattern.',
    ['method', 'route'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ),
);

export const paymentsTotal = registry.register(
  new Counter(
    'payments_total',
    'Payment states recorded by this worker (succeeded, failed, requires_capture, requires_action, held when the gateway outcome is unknown, canceled).',
    ['outcome'],
  ),
);

export const workflowFailuresTotal = registry.register(
  new Counter('workflow_failures_total', 'Workflow executions that failed on this worker, by workflow type and failure type.', [
    'workflow_type',
    'failure_type',
  ]),
);

export const activityFailuresTotal = registry.register(
  new Counter('activity_failures_total', 'Activity attempts that threw on this worker (retried or not), by activity type.', [
    'activity_type',
  ]),
);

export const gatewayConfigurationFaults = registry.register(
  new Counter(
    'gateway_configuration_faults_total',
    'Gateway calls refused as malformed or unauthenticated (a gateway account needing attention, never a decline), by gateway.',
    ['gateway'],
  ),
);

export const capturesFailedAfterSuccess = registry.register(
  new Counter(
    'gateway_captures_failed_after_success_total',
    'Captures recorded as succeeded that the gateway later reported failed (Adyen CAPTURE_FAILED): the money never moved; each needs ops to reverse it.',
    ['gateway'],
  ),
);
export const refundsFailedAfterSuccess = registry.register(
  new Counter(
    'gateway_refunds_failed_after_success_total',
    'Refunds recorded as succeeded that the gateway later reported failed (the card never got the money): each needs ops to reverse it.',
    ['gateway'],
  ),
);

export const authorizationAttemptsTotal = registry.register(
  new Counter(
    'gateway_authorization_attempts_total',
    'Authorization calls to a gateway account by this worker (each retry under the same key counts), by gateway, account (empty: the built-in sandbox) and outcome: approved, requires_action, soft_decline (another account may approve), hard_decline, unavailable, unknown (no answer: status sync decides).',
    ['gateway', 'gateway_account', 'outcome'],
  ),
);

export const authorizationFailoversTotal = registry.register(
  new Counter(
    'gateway_authorization_failovers_total',
    "Authorization attempts made after failing over from another account (a payment's second or later attempt), by the gateway and account failed over to.",
    ['gateway', 'gateway_account'],
  ),
);

export const gatewayAccountCoolingDown = registry.register(
  new Gauge(
    'gateway_account_cooling_down',
    'Gateway accounts skipped by new routes after repeated unavailable answers (1 while cooling down), as last read by this process.',
    ['gateway', 'gateway_account'],
  ),
);

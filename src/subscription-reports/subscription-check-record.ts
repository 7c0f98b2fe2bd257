/** What one run of the daily subscription check counted, as stored in `subscription_check_runs.summary`. */
export interface SubscriptionCheckSummary {
  invoices_past_due: number;
  subscriptions_checked: number;
  subscriptions_stuck: number;
  workflows_missing: number;
  workflows_closed: number;
  billing_overdue: number;
}

/** What it found, as stored in `subscription_check_runs.findings` (at most `maxFindings` of each kind). */
export interface SubscriptionCheckFindings {
  past_due_invoices: Record<string, unknown>[];
  stuck_subscriptions: Record<string, unknown>[];
  truncated: boolean;
}

/** One stored run of the daily check. */
export interface SubscriptionCheckRunRecord {
  id: string;
  asOf: Date;
  summary: SubscriptionCheckSummary;
  findings: SubscriptionCheckFindings;
  createdAt: Date;
}

// Kept apart from stripe-gateway.ts so the connector can answer without loading the Stripe SDK.

/** Whether Stripe can charge a source: a PaymentMethod id, a Stripe token, or (with a way to open it) a vault token. */
export function recognizesStripeSource(source: string, isVaultToken: (source: string) => boolean, canOpenVault: boolean): boolean {
  if (/^pm_[A-Za-z0-9_]+$/.test(source)) return true;
  if (isVaultToken(source)) return canOpenVault;
  return /^tok_[A-Za-z0-9_]+$/.test(source);
}

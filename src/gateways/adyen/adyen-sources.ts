// Kept apart from adyen-gateway.ts so the connector can answer without loading the Adyen library.

/** Whether Adyen can charge a source: only our vault's tokens (sent as card data), and only with a way to open them. */
export function recognizesAdyenSource(source: string, isVaultToken: (source: string) => boolean, canOpenVault: boolean): boolean {
  return isVaultToken(source) && canOpenVault;
}

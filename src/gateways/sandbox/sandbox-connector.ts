import { CredentialsRejectedError, type GatewayConnector, type ParsedCredentials } from '../gateway-connector';
import type { PaymentGateway } from '../payment-gateway';

/**
 * The sandbox as a connector: an account of it takes no credentials and serves test mode only. It lets a
 * test-mode merchant put the sandbox in its routing order beside real accounts.
 */
export function createSandboxConnector(sandbox: PaymentGateway): GatewayConnector {
  return {
    name: 'sandbox',
    recognizesSource: (source) => sandbox.recognizesSource(source),
    parseCredentials(raw, livemode): ParsedCredentials {
      const problems = Object.keys(raw).map((key) => ({ param: `credentials.${key}`, message: 'The sandbox takes no credentials' }));
      if (livemode) problems.push({ param: 'gateway', message: 'The sandbox serves test mode only' });
      return problems.length > 0 ? { ok: false, missing: [], problems } : { ok: true, credentials: {}, last4: '' };
    },
    async verifyCredentials(credentials) {
      if (Object.keys(credentials).length > 0) throw new CredentialsRejectedError('The sandbox takes no credentials');
    },
    adapterFor: () => sandbox,
  };
}

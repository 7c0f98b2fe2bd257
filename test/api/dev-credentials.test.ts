import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devMerchant } from '../../src/dev/dev-credentials';
import { MerchantService } from '../../src/merchants/merchant-service';
import { useTestStack, type TestStack } from '../support/test-stack';

let stack: TestStack;
useTestStack((started) => ({ stack } = started));
const folder = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-dev-credentials-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("npm start's test merchant", () => {
  it('when the stored key was revoked through the API, then the next start issues the same merchant a new key and says so', async () => {
    const file = path.join(folder, 'dev-credentials.json');
    const merchants = new MerchantService(stack.orm);
    const first = await devMerchant(file, merchants);
    expect(first).toMatchObject({ created: true, reissued: false });
    expect(await devMerchant(file, merchants)).toEqual({ ...first, created: false });

    // Rotating with expire_current_in_hours: 0 ends the calling key at once, as a fuzzer did to the printed key.
    const rotated = await stack.request('POST', '/v1/api_keys', { apiKey: first.apiKey, body: { expire_current_in_hours: 0 } });
    expect(rotated.status).toBe(201);
    expect((await stack.request('GET', '/v1/payments', { apiKey: first.apiKey })).status).toBe(401);

    const next = await devMerchant(file, new MerchantService(stack.orm));
    expect(next).toMatchObject({ id: first.id, created: false, reissued: true });
    expect(next.apiKey).not.toBe(first.apiKey);
    expect((await stack.request('GET', '/v1/payments', { apiKey: next.apiKey })).status).toBe(200);
    expect(await devMerchant(file, new MerchantService(stack.orm))).toEqual({ ...next, reissued: false });
  });
});

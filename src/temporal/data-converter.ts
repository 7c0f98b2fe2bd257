import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './payload-codec';
import type { PayloadKey } from './payload-keys';

/** The failure converter's module: workers load it, and workflow bundles must be built with it. */
// With this file's own extension: .ts under tsx and vitest, .js once compiled.
export const FAILURE_CONVERTER_PATH = path.join(__dirname, `failure-converter${path.extname(__filename)}`);

/**
 * The data converter every client and worker uses: payloads and failure messages encrypted with
 * the configured keys. Codecs run outside the workflow sandbox, so only the failure converter is bundled.
 */
export function temporalDataConverter(keys: PayloadKey[]): DataConverter {
  if (keys.length === 0) throw new Error('No Temporal payload keys: set TEMPORAL_PAYLOAD_KEYS ("kid:base64-32-bytes")');
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

import { loadConfig } from '../../src/config';
import { temporalDataConverter } from '../../src/temporal/data-converter';

/**
 * The data converter of the test configuration (its fixed payload key), for tests that build their
 * own Worker or client, such as the time-skipping workflow tests and the replay test.
 */
export const testDataConverter = temporalDataConverter(loadConfig({ NODE_ENV: 'test' }).temporal.payloadKeys);

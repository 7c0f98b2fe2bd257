import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

// gRPC's ALREADY_EXISTS: another process registered the attribute between our list and our add.
const GRPC_ALREADY_EXISTS = 6;
// The time-skipping test server can add search attributes but not list them.
const GRPC_UNIMPLEMENTED = 12;
import { CUSTOM_SEARCH_ATTRIBUTES } from './search-attributes';

const INDEXED_VALUE_TYPE = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

/**
 * Registers our custom search attributes on a namespace (an external cluster; the embedded dev
 * server gets them as start flags). Already-registered attributes are left alone.
 */
export async function registerSearchAttributes(connection: Pick<ConnectionLike, 'operatorService'>, namespace: string): Promise<string[]> {
  const known = new Set<string>();
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of Object.keys(existing.customAttributes ?? {})) known.add(name);
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_UNIMPLEMENTED) throw error;
  }
  const missing = Object.entries(CUSTOM_SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPE[type]])),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
  return missing.map(([name]) => name);
}

import { loadConfig } from './config';
import { connectTemporalOperator } from './temporal/connection';
import { registerSearchAttributes } from './temporal/register-search-attributes';

/** `npm run temporal:setup`: registers our search attributes on TEMPORAL_ADDRESS's namespace. */
async function main(): Promise<void> {
  const config = loadConfig();
  const address = config.temporal.address ?? '127.0.0.1:7233';
  const connection = await connectTemporalOperator({ ...config.temporal, address });
  const added = await registerSearchAttributes(connection, config.temporal.namespace);
  process.stdout.write(
    added.length
      ? `registered on ${address}/${config.temporal.namespace}: ${added.join(', ')}\n`
      : `all search attributes already registered on ${address}/${config.temporal.namespace}\n`,
  );
  await connection.close();
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

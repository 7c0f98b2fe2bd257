import type { Orm } from '../../src/db/orm';

export interface FingerprintOptions {
  /** Only this merchant's rows, in the tables with a `merchant_id` column; every row of every table without it. */
  merchantId?: string;
  /** Tables left out, each for a reason the caller gives (e.g. a log of refused attempts). */
  excludeTables?: string[];
  /** Columns left out of a table's rows, by table (e.g. a last-used time written off the request's path). */
  excludeColumns?: Record<string, string[]>;
}

/** A digest of the database's contents per table: equal before and after means nothing was written. */
export async function dataFingerprint(orm: Orm, options: FingerprintOptions = {}): Promise<Record<string, string>> {
  const db = orm.em.getConnection();
  const { merchantId, excludeTables = [], excludeColumns = {} } = options;
  const tables = (
    await db.execute<{ name: string }[]>(
      merchantId
        ? `select c.table_name as name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'public' and t.table_type = 'BASE TABLE' and c.column_name = 'merchant_id' order by 1`
        : `select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    )
  ).filter(({ name }) => !excludeTables.includes(name));
  const rowText = (name: string) =>
    excludeColumns[name]?.length
      ? `(to_jsonb(t) - array[${excludeColumns[name].map((column) => `'${column}'`).join(', ')}]::text[])::text`
      : 't::text';
  const rows = await db.execute<{ name: string; digest: string }[]>(
    tables
      .map(
        ({ name }) =>
          `select '${name}' as name, count(*) || ':' || coalesce(md5(string_agg(${rowText(name)}, ',' order by ${rowText(name)})), '') as digest
     from "${name}" t${merchantId ? ' where merchant_id = ?' : ''}`,
      )
      .join(' union all '),
    merchantId ? tables.map(() => merchantId) : [],
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}

/** The fingerprint once it stops changing (workflows started earlier may still be recording), polled every `intervalMs`. */
export async function quietFingerprint(
  read: () => Promise<Record<string, string>>,
  intervalMs = 500,
  timeoutMs = 30_000,
): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  let before = await read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const again = await read();
    if (JSON.stringify(again) === JSON.stringify(before)) return again;
    if (Date.now() > deadline) throw new Error(`the data kept changing for ${timeoutMs} ms`);
    before = again;
  }
}

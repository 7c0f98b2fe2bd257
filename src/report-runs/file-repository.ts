import type { Sql } from '../db/sql';
import type { FileRecord } from './file-record';

interface Row {
  id: string;
  merchant_id: string;
  purpose: 'report_run';
  filename: string;
  type: FileRecord['type'];
  status: FileRecord['status'];
  size: string | number | null;
  created_at: Date;
  expires_at: Date | null;
}

const toRecord = (row: Row): FileRecord => ({
  id: row.id,
  merchantId: row.merchant_id,
  purpose: row.purpose,
  filename: row.filename,
  type: row.type,
  status: row.status,
  // bigint arrives as a string; a file stays far below 2^53 bytes.
  size: row.size === null ? null : Number(row.size),
  createdAt: new Date(row.created_at),
  expiresAt: row.expires_at ? new Date(row.expires_at) : null,
});

/** Every read and write of files and file_chunks. */
export class FileRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Starts (or restarts) building a file: its row as `building`, without chunks. A file already
   * ready is answered as it is, so a build retried after it finished writes nothing again.
   */
  async startBuilding(file: Pick<FileRecord, 'id' | 'merchantId' | 'purpose' | 'filename' | 'type' | 'createdAt'>): Promise<FileRecord> {
    const [row] = await this.sql.query<Row>(
      `insert into files (id, merchant_id, purpose, filename, type, status, size, created_at, expires_at)
       values (?, ?, ?, ?, ?, 'building', null, ?, null)
       on conflict (id) do update set created_at = excluded.created_at where files.status = 'building'
       returning *`,
      [file.id, file.merchantId, file.purpose, file.filename, file.type, file.createdAt],
    );
    if (!row) {
      const [ready] = await this.sql.query<Row>(`select * from files where id = ?`, [file.id]);
      return toRecord(ready);
    }
    // An earlier attempt's chunks: replaced, never appended to.
    await this.sql.query(`delete from file_chunks where file_id = ?`, [file.id]);
    return toRecord(row);
  }

  /** Writes chunk `seq`, replacing what an earlier attempt wrote there. */
  async writeChunk(fileId: string, seq: number, data: Buffer): Promise<void> {
    await this.sql.query(
      `insert into file_chunks (file_id, seq, data) values (?, ?, ?)
       on conflict (file_id, seq) do update set data = excluded.data`,
      [fileId, seq, data],
    );
  }

  /**
   * Marks the file ready once its stored chunks are exactly the `chunks` chunks of `size` bytes this
   * build wrote; answers false (nothing changed) when they are not, e.g. an abandoned attempt still
   * writing, so the caller's attempt fails and is retried.
   */
  async finish(fileId: string, written: { chunks: number; size: number; expiresAt: Date }): Promise<boolean> {
    const [stored] = await this.sql.query<{ chunks: string; size: string }>(
      `select count(*) as chunks, coalesce(sum(length(data)), 0) as size from file_chunks where file_id = ?`,
      [fileId],
    );
    if (Number(stored.chunks) !== written.chunks || Number(stored.size) !== written.size) return false;
    const updated = await this.sql.query(
      `update files set status = 'ready', size = ?, expires_at = ? where id = ? and status = 'building' returning id`,
      [written.size, written.expiresAt, fileId],
    );
    return updated.length === 1;
  }

  /** Deletes a file that will never be finished (its build failed for good), with its chunks. */
  async deleteUnfinished(fileId: string): Promise<void> {
    await this.sql.query(`delete from files where id = ? and status = 'building'`, [fileId]);
  }

  /** Deletes a file and its chunks, whatever its state. */
  async delete(fileId: string): Promise<void> {
    await this.sql.query(`delete from files where id = ?`, [fileId]);
  }

  async findById(id: string): Promise<FileRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from files where id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  /** The files of a page of runs, in one query. */
  async findByIds(ids: string[]): Promise<Map<string, FileRecord>> {
    if (ids.length === 0) return new Map();
    const rows = await this.sql.query<Row>(`select * from files where id = any(?::text[])`, [ids]);
    return new Map(rows.map((row) => [row.id, toRecord(row)]));
  }

  async findForMerchant(merchantId: string, id: string): Promise<FileRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from files where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  /** One chunk's bytes, or null past the last. */
  async chunk(fileId: string, seq: number): Promise<Buffer | null> {
    const [row] = await this.sql.query<{ data: Buffer }>(`select data from file_chunks where file_id = ? and seq = ?`, [fileId, seq]);
    return row ? row.data : null;
  }
}

/**
 * The one place a TenantLedger runs SQL. Every table module in this folder
 * takes a {@link Sql} and is the only code that writes statements for its
 * tables; nothing outside `src/ledger/storage/` imports this file. Rows
 * written are counted here, so the benchmark can report rows per request
 * (they are what Durable Object storage bills).
 */

/** A value SQLite can bind. */
export type Binding = string | number | null;

/** Typed, counted access to an object's SQLite storage. */
export class Sql {
  private written = 0;

  constructor(private readonly storage: SqlStorage) {}

  /** Rows written since the object started (inserts, updates and deletes, each index entry counted, as billed). */
  get rowsWritten(): number {
    return this.written;
  }

  /** Runs a statement; returns the rows it wrote. */
  run(query: string, ...b: Binding[]): number {
    const cursor = this.storage.exec(query, ...b);
    // Drain the cursor: rowsWritten is final only once the statement has run to its end.
    for (const _ of cursor) void _;
    this.written += cursor.rowsWritten;
    return cursor.rowsWritten;
  }

  /** Every row of a query. */
  all<T>(query: string, ...b: Binding[]): T[] {
    const cursor = this.storage.exec(query, ...b);
    const rows = cursor.toArray() as unknown as T[];
    this.written += cursor.rowsWritten;
    return rows;
  }

  /** The first row of a query, or undefined. */
  first<T>(query: string, ...b: Binding[]): T | undefined {
    return this.all<T>(query, ...b)[0];
  }
}

/**
 * The pieces a migration is made of, shared by `schema.ts` and the storage
 * modules that own a migration's statements.
 */

/** Minimal view of the SQL API the migrator needs. */
export interface SqlExec {
  exec(query: string, ...bindings: (string | number | null)[]): { toArray(): Record<string, unknown>[] };
}

/** A migration step: a statement, or a function for steps SQLite cannot make idempotent (ADD COLUMN). */
export type Step = string | ((sql: SqlExec) => void);

/** Adds a column unless it exists, so the step can run again. */
export function addColumn(table: string, column: string, type: string): Step {
  return (sql) => {
    const exists = sql
      .exec(`PRAGMA table_info(${table})`)
      .toArray()
      .some((c) => c.name === column);
    if (!exists) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  };
}

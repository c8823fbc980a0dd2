/** Moved: the ledger's storage is `src/ledger/storage/` (this re-export keeps in-flight imports working). */
export type { CounterRow, KeyRow, LedgerStore, ReservationRow, TenantRow } from "./storage";

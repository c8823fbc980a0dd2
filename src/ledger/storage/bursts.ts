/** Storage of burst pools (schema v8). */
import type { Step } from "./migration-steps";

/** This module's migration (statements filled in by its owner). */
export const BURSTS_SCHEMA: readonly Step[] = [];

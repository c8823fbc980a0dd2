/** Storage of reallocation requests and monthly adjustments (schema v9). */
import type { Step } from "./migration-steps";

/** This module's migration (statements filled in by its owner). */
export const REALLOCATIONS_SCHEMA: readonly Step[] = [];

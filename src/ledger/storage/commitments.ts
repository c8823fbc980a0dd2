/** Storage of committed-use discounts (schema v10). */
import type { Step } from "./migration-steps";

/** This module's migration (statements filled in by its owner). */
export const COMMITMENT_SCHEMA: readonly Step[] = [];

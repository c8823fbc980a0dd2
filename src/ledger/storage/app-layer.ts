/** Storage of the application layer (schema v11). */
import type { Step } from "./migration-steps";

/** This module's migration (statements filled in by its owner). */
export const APP_LAYER_SCHEMA: readonly Step[] = [];

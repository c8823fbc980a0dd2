// Runs before `npm start`: a fresh clone has no .dev.vars, and wrangler dev
// needs one for the dev operator token and the mock provider.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("budget-guard: created .dev.vars from .dev.vars.example (dev operator token: dev-admin-token)");
}

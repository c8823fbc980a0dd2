import type { Env as GuardEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends GuardEnv {}
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
  }
}
export {};

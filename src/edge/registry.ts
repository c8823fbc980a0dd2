/**
 * The per-isolate registry of subjects. Bounded: past the cap, idle subjects
 * (holding nothing) are dropped oldest first; a subject that holds an
 * allowance is kept until it drains, since forgetting it would leave its hold
 * to be counted as spent at expiry.
 */
import { Subject } from "./subject";

/** Subjects remembered per isolate. */
export const MAX_SUBJECTS = 10_000;

/** Subjects by key, in insertion (roughly: first-seen) order. */
export class Registry {
  private readonly subjects = new Map<string, Subject>();

  constructor(private readonly max = MAX_SUBJECTS) {}

  /** The subject for `key`, created on first sight. */
  get(key: string): Subject {
    let s = this.subjects.get(key);
    if (!s) {
      if (this.subjects.size >= this.max) this.evict();
      s = new Subject();
      this.subjects.set(key, s);
    }
    return s;
  }

  /** How many subjects are remembered (tests). */
  get size(): number {
    return this.subjects.size;
  }

  private evict(): void {
    // Drop a tenth of the cap at once, so a stream of new subjects does not scan on every request.
    let drop = Math.max(1, Math.floor(this.max / 10));
    for (const [k, s] of this.subjects) {
      if (drop === 0) break;
      if (!s.idle()) continue;
      this.subjects.delete(k);
      drop -= 1;
    }
  }
}

/** The isolate's registry. */
export const registry = new Registry();

/** The subject key: tenant, key, user header, body user and feature header, as the request named them. */
export function subjectKey(tenant: string, keyHash: string, user: string | null, bodyUser: string | null, feature: string | null): string {
  return [tenant, keyHash, user ?? "", bodyUser ?? "", feature ?? ""].join("\n");
}

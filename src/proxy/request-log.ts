/**
 * One JSON line per LLM request, emitted once when the request's outcome is
 * known (after settlement for allowed calls). It names the request, never its
 * secrets: no keys, no provider credentials, and no prompt or completion text
 * unless the operator sets LOG_PROMPTS=true.
 */

/** The fields of a request's log line. */
export interface RequestLogFields {
  requestId: string;
  route: string;
  tenant?: string;
  user?: string;
  feature?: string;
  model?: string;
  provider?: string;
  /** allowed, degraded, clamped, shadow, blocked, final_message, denied, rejected, error, unmetered. */
  decision?: string;
  code?: string;
  estimateUsd?: number;
  settledUsd?: number;
  settlement?: string;
  inputTokens?: number;
  outputTokens?: number;
  guardMs?: number;
  ledgerMs?: number;
  upstreamMs?: number;
  status?: number;
  prompt?: string;
  completion?: string;
}

const MAX_TEXT = 4000;

/** Accumulates a request's fields and writes them exactly once. */
export class RequestLog {
  private readonly fields: RequestLogFields;
  private done = false;

  constructor(
    requestId: string,
    route: string,
    private readonly logPrompts: boolean,
  ) {
    this.fields = { requestId, route };
  }

  set(f: Omit<RequestLogFields, "prompt" | "completion" | "requestId" | "route">): this {
    Object.assign(this.fields, f);
    return this;
  }

  /** Prompt and completion text, kept only when the operator opted in (and only then built). */
  text(kind: "prompt" | "completion", value: () => string): this {
    if (!this.logPrompts) return this;
    const v = value();
    this.fields[kind] = v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v;
    return this;
  }

  /** Writes the line (once; later calls do nothing). */
  emit(extra: Omit<RequestLogFields, "prompt" | "completion" | "requestId" | "route"> = {}): void {
    if (this.done) return;
    this.done = true;
    const line = { level: this.fields.decision === "unmetered" ? "error" : "info", msg: "request", ...this.fields, ...extra };
    if (line.level === "error") console.error(JSON.stringify(line));
    else console.log(JSON.stringify(line));
  }
}

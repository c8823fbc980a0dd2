/**
 * Reading usage from upstream answers. Each wire dialect knows where its
 * provider reports tokens, in a JSON body and in an SSE stream, and which
 * stream events a client did not ask for.
 */
import type { Usage } from "../../pricing/cost";
import type { RouteKind } from "../providers/types";

/** One parsed server-sent event. */
export interface SseEvent {
  event: string | null;
  data: string;
}

/** Follows one stream: collects usage and the generated text as events pass. */
export interface StreamTracker {
  /** Feeds an event; returns false when the event must not reach the client. */
  onEvent(e: SseEvent): boolean;
  /** Usage as reported, or null when the stream ended without it. */
  usage(): Usage | null;
  /** Text generated so far, to count when usage never arrived. */
  generatedText(): string;
  /** The provider's stored response the stream is about (Responses), once an event named it. */
  responseRef?(): ResponseRef | null;
}

/** A provider-side stored response: its id (for a later `previous_response_id`) and its status. */
export interface ResponseRef {
  id: string;
  /** `queued` / `in_progress` for a background job still running; `completed`, `failed`… once it ended. */
  status: string | null;
}

/** A dialect's usage readers. */
export interface DialectUsage {
  fromJson(route: RouteKind, body: unknown): Usage | null;
  tracker(route: RouteKind, opts: { hideUsageChunk: boolean }): StreamTracker;
  /** The stored response a JSON answer describes (Responses), or null. */
  responseRef?(route: RouteKind, body: unknown): ResponseRef | null;
}

/** A non-negative integer from an untrusted field, or 0. */
export function count(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

/** Narrowing helper for untrusted JSON. */
export function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * Shared shape of the dialects' trackers: parse each event's JSON once, keep
 * the generated text; subclasses read usage.
 */
export abstract class JsonEventTracker implements StreamTracker {
  protected text = "";

  onEvent(e: SseEvent): boolean {
    let ev: Record<string, unknown> | null;
    try {
      ev = obj(JSON.parse(e.data));
    } catch {
      // Not JSON (e.g. OpenAI's "[DONE]"): forward as is.
      return true;
    }
    return ev ? this.handle(ev, e) : true;
  }

  /** Reads one parsed event; returns false when the client must not see it. */
  protected abstract handle(ev: Record<string, unknown>, raw: SseEvent): boolean;

  abstract usage(): Usage | null;

  generatedText(): string {
    return this.text;
  }
}

/** Whether a call may bill output the stream never shows (hidden reasoning), so visible text is no measure of it. */
import { lookupModel } from "./cost";

function thinkingType(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const t = (body as Record<string, unknown>).thinking;
  if (typeof t !== "object" || t === null) return null;
  const type = (t as Record<string, unknown>).type;
  return typeof type === "string" ? type : null;
}

/**
 * True when `model` called with `body` may bill reasoning tokens that are not
 * streamed: always for OpenAI reasoning models and Claude models whose
 * thinking cannot be turned off; for other Claude models when the body turns
 * thinking on (or leaves it on by default). Claude 4 and later bill the full
 * thinking while streaming only a summary. An unknown model is assumed to hide
 * output (the safe side: its usage-less calls settle at the ceiling).
 */
export function hidesOutput(model: string, body: unknown): boolean {
  const info = lookupModel(model);
  if (!info) return true;
  if (info.hiddenReasoning) return true;
  const type = thinkingType(body);
  if (type === "disabled") return false;
  if (type !== null) return true;
  return info.thinksByDefault === true;
}

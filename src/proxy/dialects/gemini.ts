/**
 * Usage in the Gemini dialect: `usageMetadata` on a generateContent answer,
 * on each event of a `streamGenerateContent?alt=sse` stream (cumulative; the
 * last event, the one with a finishReason, has the totals), and on embedding
 * answers where Google reports it.
 *
 * Fields (GenerateContentResponse.UsageMetadata): `promptTokenCount` (the whole
 * prompt, cached content included), `cachedContentTokenCount` (the part served
 * from a cache, billed at the cache rate), `candidatesTokenCount` (all
 * candidates), `thoughtsTokenCount` (thinking, billed as output: "output price
 * including thinking tokens"), `toolUsePromptTokenCount` (what built-in tools
 * added, billed as input), and per-modality details (audio is priced apart).
 * Cached audio is billed here as fresh audio: the Usage shape has no cached
 * audio rate, and the fresh rate is the higher one.
 */
import type { Usage } from "../../pricing/cost";
import { count, JsonEventTracker, obj, type DialectUsage } from "./types";

type Json = Record<string, unknown>;

/** Tokens of `modality` in a ModalityTokenCount list. */
function modality(details: unknown, name: string): number {
  if (!Array.isArray(details)) return 0;
  let n = 0;
  for (const d of details) {
    const o = obj(d);
    if (o && o.modality === name) n += count(o.tokenCount);
  }
  return n;
}

/** A usageMetadata whose prompt count is a number; anything else reads as "no usage" (settled at the ceiling). */
function usageField(v: unknown): Json | null {
  const u = obj(v);
  return u && typeof u.promptTokenCount === "number" && Number.isFinite(u.promptTokenCount) ? u : null;
}

function normalise(u: Json, grounded: boolean): Usage {
  const prompt = count(u.promptTokenCount);
  const cached = Math.min(prompt, count(u.cachedContentTokenCount));
  const audio = Math.min(prompt, modality(u.promptTokensDetails, "AUDIO"));
  const cachedAudio = Math.min(cached, modality(u.cacheTokensDetails, "AUDIO"));
  const cachedOther = cached - cachedAudio;
  const usage: Usage = {
    inputTokens: Math.max(0, prompt - cachedOther - audio) + count(u.toolUsePromptTokenCount),
    cachedInputTokens: cachedOther,
    cacheWriteTokens: 0,
    outputTokens: count(u.candidatesTokenCount) + count(u.thoughtsTokenCount),
  };
  if (audio > 0) usage.audioInputTokens = audio;
  // Gemini 2.x bills grounding per prompt that used Google Search, not per query.
  if (grounded) usage.toolCalls = { google_search: 1 };
  return usage;
}

/** Whether any candidate says it was grounded with Google Search. */
function groundedIn(candidates: unknown): boolean {
  if (!Array.isArray(candidates)) return false;
  return candidates.some((c) => {
    const g = obj(obj(c)?.groundingMetadata);
    return g !== null && ((Array.isArray(g.webSearchQueries) && g.webSearchQueries.length > 0) || Array.isArray(g.groundingChunks));
  });
}

class GenerateTracker extends JsonEventTracker {
  private u: Json | null = null;
  private finished = false;
  private grounded = false;

  protected handle(ev: Json): boolean {
    const candidates = Array.isArray(ev.candidates) ? ev.candidates : [];
    for (const c of candidates) {
      const cand = obj(c);
      if (typeof cand?.finishReason === "string") this.finished = true;
      const parts = obj(cand?.content)?.parts;
      if (!Array.isArray(parts)) continue;
      for (const p of parts) {
        const part = obj(p);
        if (typeof part?.text === "string") this.text += part.text;
        if (part?.functionCall !== undefined) this.text += JSON.stringify(part.functionCall);
        if (part?.executableCode !== undefined) this.text += JSON.stringify(part.executableCode);
      }
    }
    if (groundedIn(candidates)) this.grounded = true;
    // A prompt refused outright ends with its feedback and no candidate.
    if (typeof obj(ev.promptFeedback)?.blockReason === "string") this.finished = true;
    const u = usageField(ev.usageMetadata);
    if (u) this.u = u;
    return true;
  }

  /** Counts in earlier events are running totals: only the final event's are the call's. */
  usage(): Usage | null {
    return this.finished && this.u ? normalise(this.u, this.grounded) : null;
  }
}

/** The Gemini dialect's usage readers. */
export const geminiUsage: DialectUsage = {
  fromJson(route, body) {
    const answer = obj(body);
    const u = usageField(answer?.usageMetadata);
    if (!u) return null;
    return normalise(u, route === "generateContent" && groundedIn(answer?.candidates));
  },
  tracker() {
    return new GenerateTracker();
  },
};

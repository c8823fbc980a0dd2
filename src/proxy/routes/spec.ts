/**
 * What differs between LLM routes, as data. The pipeline in `../guard.ts` is
 * the same for every route; each route file only says how to read its body.
 */
import type { z } from "zod";
import type { Config } from "../../config";
import type { ContextRef } from "../../ledger/types";
import type { InputPieces } from "../../tokens/inputs";
import type { RouteKind } from "../providers/types";

/** A request body after validation: the fields the guard reads are typed, the rest passes through. */
export type Body = Record<string, unknown>;

/** One LLM route. */
export interface RouteSpec {
  route: RouteKind;
  /** Validates the fields the guard reads; unknown fields are kept and forwarded. */
  schema: z.ZodType<Body>;
  /** Chat-like routes may answer a block with the free final message. */
  kind: "chat" | "embedding";
  input(body: Body): InputPieces;
  /** The client's total output cap (all choices), or null. */
  maxTokens(body: Body): number | null;
  /** Writes an output cap (total across choices) into the body. */
  withMaxTokens(body: Body, total: number): Body;
  /** The user named in the body (OpenAI `user`, Anthropic `metadata.user_id`). */
  userOf(body: Body): string | null;
  stream(body: Body): boolean;
  /** Choices the call asks for (chat `n`); absent means 1. */
  choices?(body: Body): number;
  /** Provider-side stored state the call reuses (Responses `previous_response_id`, `conversation`, `prompt`). */
  context?(body: Body): ContextRef[];
  /** Whether the provider runs the call asynchronously (Responses `background: true`). */
  background?(body: Body): boolean;
  /** Rewrites a streaming body so the upstream reports usage; says whether the client asked for it itself. */
  forUpstream(body: Body, stream: boolean): { body: Body; clientWantsUsage: boolean };
  /** Where this dialect's clients send the key besides `Authorization` / `x-api-key` (Gemini `x-goog-api-key`, `?key=`). */
  credential?(req: Request): string | null;
  /** The model to route when the route names it outside the body (Gemini's path, an Azure deployment); default `body.model`. */
  modelOf?(req: Request, body: Body, config: Config): string;
}

/** Non-negative integer fields as the guard accepts them. */
export function positiveInt(max: number) {
  return (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= max;
}

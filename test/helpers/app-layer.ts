/** Calls of the application layer's routes (reservations, commits, releases, recorded usage) through the worker. */
import { call } from "./guard";

/** A JSON body and its parsed answer. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

async function send<T>(method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const res = await call(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

/** The answer of a refusal, in the OpenAI error shape. */
export type ErrorBody = { error: { message: string; type: string; code: string; param: string | null } };

/** A reservation's answer fields the tests read. */
export type ReservationBody = {
  id: string;
  amountUsd: number;
  expiresAt: string;
  user: string;
  feature: string;
  model: string | null;
  maxOutputTokens?: number;
  warnings: string[];
  budget: { scope: string; limitUsd: number; remainingUsd: number; resetsAt: string } | null;
} & Partial<ErrorBody>;

/** `POST /v1/reservations`. */
export const reserveApi = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  send<ReservationBody>("POST", "/v1/reservations", key, body, headers);

/** `POST /v1/reservations/{id}/commit`. */
export const commitApi = (key: string, id: string, body: Record<string, unknown>) =>
  send<Record<string, unknown> & Partial<ErrorBody>>("POST", `/v1/reservations/${id}/commit`, key, body);

/** `DELETE /v1/reservations/{id}`. */
export const releaseApi = (key: string, id: string) => send<Record<string, unknown> & Partial<ErrorBody>>("DELETE", `/v1/reservations/${id}`, key);

/** `POST /v1/usage` with an Idempotency-Key (none when `idem` is null). */
export const usageApi = (key: string, body: Record<string, unknown>, idem: string | null, headers: Record<string, string> = {}) =>
  send<Record<string, unknown> & Partial<ErrorBody>>("POST", "/v1/usage", key, body, idem === null ? headers : { "idempotency-key": idem, ...headers });

/** Micro-USD of a USD amount, for comparing with counters. */
export const micros = (usd: number) => Math.round(usd * 1_000_000);

/**
 * `POST /v1/reservations`, `POST /v1/reservations/{id}/commit`,
 * `DELETE /v1/reservations/{id}`: hold budget before spending outside the
 * guard, then commit the real cost or release the hold. Same keys, roles,
 * attribution, limits, warnings and blocks as a proxied call (the ledger's
 * own reserve and settle; src/ledger/app-reservations.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { randomBase62 } from "../auth/keys";
import { toUsd } from "../budget/limits";
import type { AppCommitAnswer, AppCommitResult, AppReleaseResult, AppReservation, AppReserveResult } from "../ledger/app-types";
import { appLayerApp, requireJson } from "./app";
import { budgetBlock, budgetHeaders, caller, ledgerCall, microsUp, positionOut, refusal, warningsOut } from "./http";
import { errors, reservedHeaders } from "./responses";
import { attribution, commit, commitRequest, release, reservation, reservationParams, reservationRequest } from "./schemas";

const createReservation = createRoute({
  method: "post",
  path: "/reservations",
  operationId: "createReservation",
  summary: "Hold budget before spending outside the guard (an amount, or a model call's estimate)",
  description:
    "Reserves in every scope the caller falls under, atomically, exactly as a proxied call does: 201 with the hold, or the same budget block (402, or 429 with blockStatus 429) a proxied call would get. Commit the real cost, or release; an uncommitted hold is released after ttlSeconds.",
  middleware: [requireJson] as const,
  request: { headers: attribution, body: { required: true, content: { "application/json": { schema: reservationRequest } } } },
  responses: {
    201: { description: "The hold", headers: reservedHeaders, content: { "application/json": { schema: reservation } } },
    ...errors([400, 401, 402, 403, 415, 429, 503]),
  },
});

const commitReservation = createRoute({
  method: "post",
  path: "/reservations/{id}/commit",
  operationId: "commitReservation",
  summary: "Record what the reserved spend really cost (idempotent)",
  description:
    "`costUsd`, or `usage` priced at the tenant's price for its model. The cost is recorded in full even above the hold (`overReserved`), and after the hold expired (`afterExpiry`), once. A repeated commit answers with the first commit (header `Idempotent-Replayed: true`) and records nothing.",
  middleware: [requireJson] as const,
  request: { params: reservationParams, body: { required: true, content: { "application/json": { schema: commitRequest } } } },
  responses: {
    200: { description: "The commit", content: { "application/json": { schema: commit } } },
    ...errors([400, 401, 403, 404, 409, 415, 503]),
  },
});

const releaseReservation = createRoute({
  method: "delete",
  path: "/reservations/{id}",
  operationId: "releaseReservation",
  summary: "Give an uncommitted hold back (nothing is spent)",
  description: "Releasing a released or expired reservation again answers the same and changes nothing; a committed one is a 409.",
  request: { params: reservationParams },
  responses: {
    200: { description: "The released hold", content: { "application/json": { schema: release } } },
    ...errors([401, 403, 404, 409, 503]),
  },
});

function reservationOut(r: AppReservation) {
  return {
    object: "reservation" as const,
    id: r.id,
    amountUsd: toUsd(r.amount),
    expiresAt: new Date(r.expiresAt).toISOString(),
    user: r.userId,
    feature: r.feature,
    source: r.source,
    model: r.model,
    ...(r.degradedFrom ? { degradedFrom: r.degradedFrom } : {}),
    ...(r.maxOutputTokens !== undefined ? { maxOutputTokens: r.maxOutputTokens } : {}),
    clamped: r.clamped,
    warnings: warningsOut(r.warnings),
    budget: positionOut(r.tightest),
    ...(r.shadowCode ? { shadow: r.shadowCode } : {}),
    description: r.description,
    metadata: r.metadata,
  };
}

function commitOut(a: AppCommitAnswer) {
  return {
    object: "reservation.commit" as const,
    id: a.id,
    state: "committed" as const,
    costUsd: toUsd(a.cost),
    reservedUsd: toUsd(a.amount),
    overReserved: a.overReserved,
    afterExpiry: a.afterExpiry,
    committedAt: new Date(a.committedAt).toISOString(),
    user: a.userId,
    feature: a.feature,
    reportedAs: a.reportedAs,
  };
}

/** The reservation routes. */
export const reservationRoutes = appLayerApp()
  .openapi(createReservation, async (c) => {
    const body = c.req.valid("json");
    const h = c.req.valid("header");
    const who = await caller(c);
    const res = await ledgerCall<AppReserveResult>("reserve", () =>
      who.ledger.reserveApp({
        id: `res_${randomBase62(24)}`,
        keyHash: who.keyHash,
        userId: h["x-budget-user"] ?? null,
        bodyUserId: body.user ?? null,
        feature: h["x-budget-feature"] ?? body.feature ?? null,
        amount: body.amountUsd === undefined ? undefined : microsUp(body.amountUsd),
        estimate: body.estimate,
        ttlMs: body.ttlSeconds * 1000,
        source: body.source,
        description: body.description ?? null,
        metadata: body.metadata ?? null,
      }),
    );
    const now = Date.now();
    if (res.status === "blocked") throw budgetBlock(res, now);
    if (res.status === "denied") throw refusal(res);
    const headers = budgetHeaders(res.tightest, res.warnings, now, {
      degradedFrom: res.degradedFrom,
      shadowCode: res.shadowCode,
      clampedTo: res.clamped ? res.maxOutputTokens : undefined,
    });
    return c.json(reservationOut(res), 201, headers);
  })
  .openapi(commitReservation, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const who = await caller(c);
    const res = await ledgerCall<AppCommitResult>("commit", () =>
      who.ledger.commitApp({
        keyHash: who.keyHash,
        id,
        ...(body.usage ? { usage: body.usage } : { cost: microsUp(body.costUsd ?? 0) }),
      }),
    );
    if (res.status === "denied") throw refusal(res);
    return c.json(commitOut(res.answer), 200, res.replayed ? { "Idempotent-Replayed": "true" } : {});
  })
  .openapi(releaseReservation, async (c) => {
    const { id } = c.req.valid("param");
    const who = await caller(c);
    const res = await ledgerCall<AppReleaseResult>("release", () => who.ledger.releaseApp(who.keyHash, id));
    if (res.status === "denied") throw refusal(res);
    return c.json({ object: "reservation" as const, id: res.id, state: res.state, amountUsd: toUsd(res.amount) }, 200);
  });

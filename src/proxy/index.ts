/** The LLM routes. Any other `/v1/*` path is a 404, never a blind passthrough. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { budgetRoute } from "./budget-route";
import { llmHandler } from "./guard";
import { modelsRoute } from "./models-route";
import { chatRoute } from "./routes/chat";
import { embeddingsRoute } from "./routes/embeddings";
import { messagesRoute } from "./routes/messages";
import { responsesRoute } from "./routes/responses";

/** `/v1` routes. */
export const proxyRoutes = new Hono<AppEnv>()
  .post("/chat/completions", llmHandler(chatRoute))
  .post("/responses", llmHandler(responsesRoute))
  .post("/embeddings", llmHandler(embeddingsRoute))
  .post("/messages", llmHandler(messagesRoute))
  .get("/models", modelsRoute)
  .get("/budget", budgetRoute)
  .all("*", (c) => {
    throw new ApiError(404, `Unknown route ${c.req.method} ${c.req.path}: the guard forwards only the routes it can budget.`, {
      code: "unknown_route",
    });
  });

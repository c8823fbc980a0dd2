/**
 * A budget block is final: no client of the matrix retries it. Each client
 * makes one call its application would make, with its default retry settings,
 * through a fetch that counts the attempts reaching the guard.
 *
 * The default block status is 402 because of what the second test records:
 * with 429 the AI SDK retries (twice, with 2 s and 4 s backoff), since it
 * classifies by status alone (408, 409, 429, 5xx) and ignores
 * `x-should-retry: false`; no header the guard could send changes that.
 */
import { describe, expect, it } from "vitest";
import { blockedTenant, clientTenant } from "../helpers/clients";
import { blockedCalls } from "../helpers/clients-blocked";

/** A tenant time zone whose midnight is hours away, so `Retry-After` (seconds to the reset) is far above a minute. */
function farFromMidnight(): string {
  const hour = new Date().getUTCHours();
  return hour >= 1 && hour <= 22 ? "UTC" : "Etc/GMT-12";
}

describe("a budget block is not retried", () => {
  it("with the default block status (402) every client makes exactly one attempt", async () => {
    const outcomes = await blockedCalls(async () => (await blockedTenant()).key);
    expect(outcomes).toEqual({
      "openai SDK": { attempts: 1, raised: "APIError 402", guardMessage: true },
      "anthropic SDK": { attempts: 1, raised: "PaymentRequiredError 402", guardMessage: true },
      "ai-sdk openai chat": { attempts: 1, raised: "AI_APICallError 402", guardMessage: true },
      "ai-sdk openai chat, streamText": { attempts: 1, raised: "AI_APICallError 402", guardMessage: true },
      "ai-sdk openai responses": { attempts: 1, raised: "AI_APICallError 402", guardMessage: true },
      "ai-sdk anthropic": { attempts: 1, raised: "AI_APICallError 402", guardMessage: true },
      "ai-sdk google": { attempts: 1, raised: "AI_APICallError 402", guardMessage: true },
      "google genai": { attempts: 1, raised: "ApiError 402", guardMessage: true },
      "langchain ChatOpenAI": { attempts: 1, raised: "APIError 402", guardMessage: true },
      "langchain ChatOpenAI responses": { attempts: 1, raised: "APIError 402", guardMessage: true },
      "langchain ChatAnthropic": { attempts: 1, raised: "APIError 402", guardMessage: true },
    });
  });

  it("with blockStatus 429 (the record): the AI SDK retries it; the official SDKs and LangChain do not", async () => {
    const key = async () => (await clientTenant({ limits: { daily: 0.000001 }, blockStatus: 429, timezone: farFromMidnight() })).key;
    const outcomes = await blockedCalls(key);
    expect(outcomes).toEqual({
      // x-should-retry: false
      "openai SDK": { attempts: 1, raised: "RateLimitError 429", guardMessage: true },
      "anthropic SDK": { attempts: 1, raised: "RateLimitError 429", guardMessage: true },
      // isRetryable from the status alone; maxRetries 2
      "ai-sdk openai chat": { attempts: 3, raised: "AI_RetryError 429", guardMessage: true },
      "ai-sdk openai chat, streamText": { attempts: 3, raised: "AI_RetryError 429", guardMessage: true },
      "ai-sdk openai responses": { attempts: 3, raised: "AI_RetryError 429", guardMessage: true },
      "ai-sdk anthropic": { attempts: 3, raised: "AI_RetryError 429", guardMessage: true },
      "ai-sdk google": { attempts: 3, raised: "AI_RetryError 429", guardMessage: true },
      // retries only with httpOptions.retryOptions (then 429 is in its list, 402 is not)
      "google genai": { attempts: 1, raised: "ApiError 429", guardMessage: true },
      // its AsyncCaller gives up on a 429 whose Retry-After is over a minute (and waits out a shorter one)
      "langchain ChatOpenAI": { attempts: 1, raised: "RateLimitCapacityError 429", guardMessage: true },
      "langchain ChatOpenAI responses": { attempts: 1, raised: "RateLimitCapacityError 429", guardMessage: true },
      "langchain ChatAnthropic": { attempts: 1, raised: "RateLimitCapacityError 429", guardMessage: true },
    });
  });
});

/**
 * Passes an upstream SSE stream to the client unbuffered (event by event)
 * while a tracker reads usage from it. When the stream ends, breaks, or the
 * client goes away, `done` resolves with what was seen, so settlement can
 * charge exactly what was streamed.
 */
import type { SseEvent, StreamTracker } from "./dialects/types";

/** How a tracked stream ended. */
export type StreamEnd = "complete" | "upstream_error" | "client_cancel";

/** A client-facing stream and a promise of how it ended. */
export interface TrackedStream {
  body: ReadableStream<Uint8Array>;
  done: Promise<StreamEnd>;
}

function parseEvent(raw: string): SseEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
    else if (line.startsWith("event:")) event = line.slice(6).trim();
  }
  return data.length > 0 ? { event, data: data.join("\n") } : null;
}

/** Wraps `upstream`, forwarding each complete event the tracker lets through. */
export function trackStream(upstream: ReadableStream<Uint8Array>, tracker: StreamTracker): TrackedStream {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let finish: (end: StreamEnd) => void = () => {};
  const done = new Promise<StreamEnd>((resolve) => {
    let settled = false;
    finish = (end) => {
      if (!settled) {
        settled = true;
        resolve(end);
      }
    };
  });

  const drain = (controller: ReadableStreamDefaultController<Uint8Array>, final: boolean) => {
    // Events end with a blank line; forward each as soon as it is complete.
    let out = "";
    for (;;) {
      const m = /\r?\n\r?\n/.exec(buffer);
      if (!m) break;
      const raw = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      const ev = parseEvent(raw);
      if (!ev || tracker.onEvent(ev)) out += raw + "\n\n";
    }
    if (final && buffer.trim().length > 0) {
      const ev = parseEvent(buffer);
      if (!ev || tracker.onEvent(ev)) out += buffer;
      buffer = "";
    }
    if (out) controller.enqueue(encoder.encode(out));
  };

  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: ended } = await reader.read();
        if (ended) {
          buffer += decoder.decode();
          drain(controller, true);
          controller.close();
          finish("complete");
          return;
        }
        buffer += decoder.decode(value, { stream: true });
        drain(controller, false);
      } catch (err) {
        drain(controller, true);
        finish("upstream_error");
        controller.error(err);
      }
    },
    async cancel(reason) {
      finish("client_cancel");
      await reader.cancel(reason).catch(() => {});
    },
  });
  return { body, done };
}

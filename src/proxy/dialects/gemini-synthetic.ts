/**
 * The free "you have reached your limit" answer (`onHardLimit: "message"`) in
 * Gemini's shape: one model candidate carrying the text, zero usage because
 * nothing was spent; a stream is the same answer as its single SSE event.
 */

/** A synthetic generateContent answer carrying `text`. */
export function geminiSyntheticAnswer(model: string, text: string, stream: boolean): Response {
  const answer = {
    candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
    usageMetadata: { promptTokenCount: 0, candidatesTokenCount: 0, totalTokenCount: 0 },
    modelVersion: model,
    responseId: crypto.randomUUID().replace(/-/g, "").slice(0, 24),
  };
  if (!stream) return new Response(JSON.stringify(answer), { headers: { "content-type": "application/json" } });
  return new Response(`data: ${JSON.stringify(answer)}\r\n\r\n`, { headers: { "content-type": "text/event-stream" } });
}

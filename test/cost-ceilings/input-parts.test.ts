/**
 * Red team, input parts (issue 12): images, PDFs, files and audio once counted
 * as a flat 1,600 tokens or as nothing. The double bills them by the
 * providers' formulas at their true size (the test made the bytes, so it knows
 * them). Each attack is refused before the provider sees it, or reserved at
 * least at what the provider bills, within the limit. A part the guard cannot
 * see (a file_id) is a 400 naming it, unless maxRequestUsd is set, which is
 * then reserved in full.
 */
import { describe, expect, it } from "vitest";
import { call, chat } from "../helpers/guard";
import { billingDouble, expectHeld, pdfBase64, pngDataUrl, registerMedium, usd, wavBase64 } from "../helpers/billing-double";
import { ledger, restoreAfterEach, setup, today } from "../helpers/traffic";

restoreAfterEach();

const reservedNow = (t: string) => () =>
  ledger(t)
    .counter("tenant", today())
    .then((c) => c.reserved);

function send(key: string, path: string, body: unknown): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const image = (url: string) => ({ type: "image_url", image_url: { url, detail: "high" } });
const pdfDocument = (pages: number) => ({
  type: "document",
  source: { type: "base64", media_type: "application/pdf", data: pdfBase64(pages) },
});
const chatFile = (pages: number) => ({
  type: "file",
  file: { filename: "a.pdf", file_data: `data:application/pdf;base64,${pdfBase64(pages)}` },
});
const responsesFile = (pages: number) => ({
  type: "input_file",
  filename: "a.pdf",
  file_data: `data:application/pdf;base64,${pdfBase64(pages)}`,
});

/** A single call: refused with nothing sent, or reserved at least at its bill, within the limit. */
async function attack(limit: number, path: string, body: (key: string) => unknown, config: Record<string, unknown> = {}) {
  const { t, key } = await setup({ limits: { daily: limit }, ...config });
  const double = billingDouble({ probe: reservedNow(t) });
  const res = await send(key, path, body(key));
  const text = await res.text();
  const held = await expectHeld(t, double, [res.status], usd(limit));
  for (const b of double.billed())
    expect(b.reservedAtCall, "reserved at least what the provider bills").toBeGreaterThanOrEqual(b.costMicros);
  return { res, text, double, t, ...held };
}

describe("input parts", () => {
  it("10 high-detail 2048×2048 images on gpt-4o-mini vs $0.01 (really ~$0.038): refused, nothing sent", async () => {
    const content = [{ type: "text", text: "Describe these." }, ...Array.from({ length: 10 }, () => image(pngDataUrl(2048, 2048)))];
    const { res } = await attack(0.01, "/v1/chat/completions", () => ({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content }],
      max_tokens: 50,
    }));
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it.each([
    [2048, 2048],
    [512, 512],
    [4000, 300],
  ])("one %i×%i high-detail image on gpt-4o-mini: reserved at least at its tile cost", async (w, h) => {
    const content = [{ type: "text", text: "Describe." }, image(pngDataUrl(w, h))];
    const { res, double } = await attack(1, "/v1/chat/completions", () => ({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content }],
      max_tokens: 20,
    }));
    expect(res.status).toBe(200);
    expect(double.billed()).toHaveLength(1);
  });

  it("an image on Anthropic Messages: reserved at least at w×h/750", async () => {
    const { t, key } = await setup({ limits: { daily: 1 } });
    const double = billingDouble({ probe: reservedNow(t) });
    const data = pngDataUrl(1568, 1568).split(",")[1];
    const res = await send(key, "/v1/messages", {
      model: "claude-haiku-4-5",
      max_tokens: 20,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data } },
            { type: "text", text: "What?" },
          ],
        },
      ],
    });
    await res.text();
    expect(res.status).toBe(200);
    await expectHeld(t, double, [res.status], usd(1));
    for (const b of double.billed()) expect(b.reservedAtCall).toBeGreaterThanOrEqual(b.costMicros);
  });

  it.each([
    ["a remote 4096×4096 image URL (the guard cannot see it: the largest the detail allows)", "https://img.example/big.png", "high"],
    ["a 2048×2048 image at detail auto", null, "auto"],
    ["a 2048×2048 image at detail low", null, "low"],
  ])("%s on gpt-4o-mini: reserved at least at its cost", async (_n, remote, detail) => {
    if (remote) registerMedium(remote, { kind: "image", width: 4096, height: 4096 });
    const url = remote ?? pngDataUrl(2048, 2048);
    const content = [
      { type: "text", text: "Describe." },
      { type: "image_url", image_url: { url, detail } },
    ];
    const { res } = await attack(1, "/v1/chat/completions", () => ({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content }],
      max_tokens: 20,
    }));
    expect(res.status).toBe(200);
  });

  it("Responses input_image parts on gpt-4o: reserved at least at their tile cost", async () => {
    const content = [
      { type: "input_text", text: "Compare." },
      { type: "input_image", image_url: pngDataUrl(1024, 4096), detail: "high" },
      { type: "input_image", image_url: pngDataUrl(3000, 2000), detail: "high" },
    ];
    const { res } = await attack(1, "/v1/responses", () => ({
      model: "gpt-4o",
      input: [{ role: "user", content }],
      max_output_tokens: 20,
    }));
    expect(res.status).toBe(200);
  });

  it("a Responses input_image by file_id (an image's cost is bounded by its detail even unseen): reserved at least at its cost", async () => {
    registerMedium("file-img-redteam", { kind: "image", width: 4096, height: 4096 });
    const content = [
      { type: "input_text", text: "Describe." },
      { type: "input_image", file_id: "file-img-redteam", detail: "high" },
    ];
    const { res } = await attack(1, "/v1/responses", () => ({
      model: "gpt-4o-mini",
      input: [{ role: "user", content }],
      max_output_tokens: 20,
    }));
    expect(res.status).toBe(200);
  });

  it("an image inside an Anthropic tool_result: reserved at least at its cost", async () => {
    const data = pngDataUrl(2000, 1500).split(",")[1];
    const { res } = await attack(1, "/v1/messages", () => ({
      model: "claude-haiku-4-5",
      max_tokens: 20,
      tools: [{ name: "screenshot", description: "Takes a screenshot", input_schema: { type: "object" } }],
      messages: [
        { role: "user", content: "Look." },
        { role: "assistant", content: [{ type: "tool_use", id: "tu1", name: "screenshot", input: {} }] },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "tu1",
              content: [{ type: "image", source: { type: "base64", media_type: "image/png", data } }],
            },
          ],
        },
      ],
    }));
    expect(res.status).toBe(200);
  });

  it("an Anthropic document of 100 PDF pages vs $0.05: refused, nothing sent", async () => {
    const { res } = await attack(0.05, "/v1/messages", () => ({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: [pdfDocument(100), { type: "text", text: "Summarise." }] }],
    }));
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it("a 2-page Anthropic document: reserved at least at the pages' cost", async () => {
    const { res } = await attack(1, "/v1/messages", () => ({
      model: "claude-haiku-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: [pdfDocument(2), { type: "text", text: "Summarise." }] }],
    }));
    expect(res.status).toBe(200);
  });

  it.each([
    [
      "a chat file part",
      "/v1/chat/completions",
      (p: number) => ({
        model: "gpt-4o",
        messages: [{ role: "user", content: [chatFile(p), { type: "text", text: "Sum up." }] }],
        max_tokens: 50,
      }),
    ],
    [
      "a Responses input_file",
      "/v1/responses",
      (p: number) => ({
        model: "gpt-4o",
        input: [{ role: "user", content: [responsesFile(p), { type: "input_text", text: "Sum up." }] }],
        max_output_tokens: 50,
      }),
    ],
  ])("%s of 40 PDF pages vs $0.05 is refused; of 2 pages is reserved at least at its cost", async (_name, path, body) => {
    const big = await attack(0.05, path, () => body(40));
    expect(big.res.status).toBeGreaterThanOrEqual(400);
    const small = await attack(1, path, () => body(2));
    expect(small.res.status).toBe(200);
  });

  it("input_audio on a model with no audio price: 400 unpriced_unit, nothing sent", async () => {
    const audio = { type: "input_audio", input_audio: { data: wavBase64(30), format: "wav" } };
    const { res, text } = await attack(1, "/v1/chat/completions", () => ({
      model: "gpt-4o",
      messages: [{ role: "user", content: [audio] }],
      max_tokens: 20,
    }));
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "unpriced_unit" } });
  });

  it("input_audio on an audio model: refused or reserved at least at its seconds' cost", async () => {
    const audio = { type: "input_audio", input_audio: { data: wavBase64(60), format: "wav" } };
    const body = () => ({
      model: "gpt-4o-audio-preview",
      messages: [{ role: "user", content: [{ type: "text", text: "Transcribe" }, audio] }],
      max_tokens: 20,
    });
    // 600 audio tokens at $40/M = $0.024: a $0.01 limit cannot pay for it.
    const small = await attack(0.01, "/v1/chat/completions", body);
    expect(small.res.status).toBeGreaterThanOrEqual(400);
    await attack(1, "/v1/chat/completions", body);
  });

  it.each([
    [
      "a chat file part by file_id",
      "/v1/chat/completions",
      {
        model: "gpt-4o",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Sum up." },
              { type: "file", file: { file_id: "file-redteam1" } },
            ],
          },
        ],
        max_tokens: 50,
      },
      "messages[0].content[1]",
    ],
    [
      "a Responses input_file by file_id",
      "/v1/responses",
      {
        model: "gpt-4o",
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: "Sum up." },
              { type: "input_file", file_id: "file-redteam1" },
            ],
          },
        ],
        max_output_tokens: 50,
      },
      "input[0].content[1]",
    ],
    [
      "a Responses input_file by URL",
      "/v1/responses",
      {
        model: "gpt-4o",
        input: [
          {
            role: "user",
            content: [
              { type: "input_text", text: "Sum up." },
              { type: "input_file", file_url: "https://files.example/a.pdf" },
            ],
          },
        ],
        max_output_tokens: 50,
      },
      "input[0].content[1]",
    ],
    [
      "an Anthropic document by file_id",
      "/v1/messages",
      {
        model: "claude-haiku-4-5",
        max_tokens: 50,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Sum up." },
              { type: "document", source: { type: "file", file_id: "file-redteam1" } },
            ],
          },
        ],
      },
      "messages[0].content[1]",
    ],
  ])("%s, no maxRequestUsd: 400 unbounded_input naming the part, nothing sent", async (_name, path, body, part) => {
    registerMedium("file-redteam1", { kind: "pdf", pages: 500 });
    registerMedium("https://files.example/a.pdf", { kind: "pdf", pages: 500 });
    const { res, text } = await attack(100, path, () => body);
    expect(res.status).toBe(400);
    const err = (JSON.parse(text) as { error: { code?: string; message: string } }).error;
    if (path !== "/v1/messages") expect(err.code).toBe("unbounded_input");
    expect(err.message).toContain(part);
    expect(err.message).toContain("maxRequestUsd");
  });

  it("mp3 audio on an audio model is bounded by its size at the lowest speech bit rate (8 kbit/s)", async () => {
    // 60 s of mp3 at 8 kbit/s is 60,000 bytes: the provider bills 600 audio tokens for it.
    const mp3 = btoa(String.fromCharCode(0xff, 0xfb, 0x10, 0xc4) + "\u0000".repeat(60_000 - 4));
    registerMedium(mp3, { kind: "audio", seconds: 60 });
    const audio = { type: "input_audio", input_audio: { data: mp3, format: "mp3" } };
    const { res } = await attack(1, "/v1/chat/completions", () => ({
      model: "gpt-4o-audio-preview",
      messages: [{ role: "user", content: [{ type: "text", text: "Transcribe" }, audio] }],
      max_tokens: 20,
    }));
    expect(res.status).toBe(200);
  });

  it("a file_id with maxRequestUsd $0.02: allowed, reserved in full ($0.02), the bill covered", async () => {
    registerMedium("file-redteam2", { kind: "pdf", pages: 2 });
    const body = {
      model: "gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Sum up." },
            { type: "file", file: { file_id: "file-redteam2" } },
          ],
        },
      ],
      max_tokens: 50,
    };
    const { res, double } = await attack(1, "/v1/chat/completions", () => body, { maxRequestUsd: 0.02 });
    expect(res.status).toBe(200);
    const [only] = double.billed();
    expect(only?.reservedAtCall, "an unboundable call is reserved at maxRequestUsd").toBe(usd(0.02));
  });
});

/**
 * Throwaway experiments: a cheaper way to do what a costly stage does, timed
 * beside it on the same input. None of this is in src/; each names the stage
 * it would replace and checks that it gives the same answer on the bench body.
 */
const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
const isObj = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const cap = (v) => v === undefined || v === null || (Number.isInteger(v) && v >= 1 && v <= 10_000_000);

/** The chat schema's checks by hand, returning the body itself (zod's loose objects copy every message). */
export function handCheckChat(b) {
  if (!isObj(b)) return false;
  if (typeof b.model !== "string" || b.model.length < 1 || b.model.length > 256) return false;
  const ms = b.messages;
  if (!Array.isArray(ms) || ms.length < 1) return false;
  for (const m of ms) {
    if (!isObj(m) || !ROLES.has(m.role)) return false;
    const c = m.content;
    if (c !== undefined && c !== null && typeof c !== "string") {
      if (!Array.isArray(c)) return false;
      for (const p of c) if (!isObj(p) || typeof p.type !== "string") return false;
    }
    if (m.name !== undefined && (typeof m.name !== "string" || m.name.length > 256)) return false;
  }
  if (!cap(b.max_tokens) || !cap(b.max_completion_tokens)) return false;
  if (b.n !== undefined && b.n !== null && !(Number.isInteger(b.n) && b.n >= 1 && b.n <= 128)) return false;
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== "boolean") return false;
  const so = b.stream_options;
  if (so !== undefined && so !== null && (!isObj(so) || (so.include_usage !== undefined && typeof so.include_usage !== "boolean")))
    return false;
  if (b.user !== undefined && (typeof b.user !== "string" || b.user.length > 256)) return false;
  return b;
}

/**
 * Where the top-level `"model"` string value sits in the raw text, or null when it cannot be told
 * cheaply and safely: the key must occur exactly once unescaped anywhere (a nested "model" key → null),
 * and its value must parse to the model the parsed body has.
 */
export function modelValueRange(raw, model) {
  let at = -1;
  let from = 0;
  for (;;) {
    const i = raw.indexOf('"model"', from);
    if (i < 0) break;
    let bs = 0;
    for (let j = i - 1; j >= 0 && raw.charCodeAt(j) === 92; j--) bs++;
    if (bs % 2 === 0 && /^\s*:/.test(raw.slice(i + 7, i + 16))) {
      if (at >= 0) return null;
      at = i;
    }
    from = i + 7;
  }
  if (at < 0) return null;
  const colon = raw.indexOf(":", at + 7);
  let start = colon + 1;
  while (/\s/.test(raw[start] ?? "")) start++;
  if (raw[start] !== '"') return null;
  let end = start + 1;
  for (;;) {
    end = raw.indexOf('"', end);
    if (end < 0) return null;
    let bs = 0;
    for (let j = end - 1; raw.charCodeAt(j) === 92; j--) bs++;
    if (bs % 2 === 0) break;
    end++;
  }
  end++;
  return JSON.parse(raw.slice(start, end)) === model ? [start, end] : null;
}

/** The upstream body by splicing the upstream model name into the client's text (guard changed nothing else). */
export function spliceModel(raw, model, upstreamModel) {
  const r = modelValueRange(raw, model);
  if (!r) return null;
  return raw.slice(0, r[0]) + JSON.stringify(upstreamModel) + raw.slice(r[1]);
}

/**
 * The upstream body as bytes: the client's bytes with only the model's value replaced, no
 * re-encoding (fetch sends bytes as they are). Byte offsets from the UTF-8 length of the prefix.
 */
export function spliceModelBytes(raw, bytes, model, upstreamModel, enc) {
  const r = modelValueRange(raw, model);
  if (!r) return null;
  const start = enc.encode(raw.slice(0, r[0])).length;
  const end = start + enc.encode(raw.slice(r[0], r[1])).length;
  const mid = enc.encode(JSON.stringify(upstreamModel));
  const out = new Uint8Array(bytes.length - (end - start) + mid.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(mid, start);
  out.set(bytes.subarray(end), start + mid.length);
  return out;
}

/** A per-isolate key → hash cache (bounded), instead of a digest per request. */
export function hashCache(sha256Hex, max = 1000) {
  const cache = new Map();
  return async (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const h = await sha256Hex(key);
    if (cache.size >= max) cache.delete(cache.keys().next().value);
    cache.set(key, h);
    return h;
  };
}

/**
 * The experiments for one size: each is { name, replaces, fn, check }. `check()` throws when the
 * experiment would answer differently from the stage it replaces.
 */
export function experiments(m, s) {
  const enc = new TextEncoder();
  const cached = hashCache(m.sha256Hex);
  return [
    {
      name: "hand-written chat check (no zod)",
      replaces: ["zod schema.safeParse"],
      fn: () => handCheckChat(s.json),
      check: () => {
        if (handCheckChat(s.json) !== s.json) throw new Error("hand check refused the bench body");
      },
    },
    {
      name: "splice upstream model into client text + encode",
      replaces: ["JSON.stringify(upstream body)", "encode upstream body (fetch)"],
      fn: () => enc.encode(spliceModel(s.raw, s.body.model, s.target.upstreamModel)),
      check: () => {
        const a = spliceModel(s.raw, s.body.model, s.target.upstreamModel);
        const b = JSON.stringify({ ...s.outgoing, model: s.target.upstreamModel });
        if (a === null || JSON.stringify(JSON.parse(a)) !== b) throw new Error("splice differs from stringify");
      },
    },
    {
      name: "splice upstream model into client BYTES (no re-encode)",
      replaces: ["JSON.stringify(upstream body)", "encode upstream body (fetch)"],
      fn: () => spliceModelBytes(s.raw, s.bytes, s.body.model, s.target.upstreamModel, enc),
      check: () => {
        const a = new TextDecoder().decode(spliceModelBytes(s.raw, s.bytes, s.body.model, s.target.upstreamModel, enc));
        if (a !== spliceModel(s.raw, s.body.model, s.target.upstreamModel)) throw new Error("byte splice differs");
      },
    },
    {
      name: "O(1) input bound: fixed + body bytes (tokens <= UTF-8 bytes)",
      replaces: ["fastInputTokens"],
      fn: () => s.pieces.fixedTokens + s.bytes.length,
      check: () => {
        if (s.pieces.fixedTokens + s.bytes.length < m.fastInputTokens(s.pieces, s.target.encoding))
          throw new Error("bytes bound below the estimate");
      },
    },
    {
      name: "key hash from a per-isolate cache",
      replaces: ["sha256Hex(key)"],
      async: true,
      fn: () => cached(s.key),
      check: () => undefined,
    },
    {
      name: "no depth walk (zod/hand check already bound depth of the fields it reads)",
      replaces: ["jsonDepthExceeds"],
      fn: () => false,
      check: () => undefined,
    },
  ];
}

/** What fetch does with the upstream body string in every variant: encode it to bytes (timed as a reference stage). */
export function encodeStage(s) {
  const enc = new TextEncoder();
  const text = JSON.stringify({ ...s.outgoing, model: s.target.upstreamModel });
  return { name: "encode upstream body (fetch)", fn: () => enc.encode(text) };
}

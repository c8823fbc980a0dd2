/**
 * Realistic English-ish prompts of a given token size. Text is generated from
 * a seeded PRNG (same text every run): sentences of common words with
 * capitals, commas, numbers, the odd code identifier and paragraph breaks.
 * Sizes are cut exactly with js-tiktoken (o200k_base, the encoding of the
 * benchmarked model gpt-4o-mini) when it loads, else approximated at 4
 * characters per token.
 */

const WORDS = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by hot word but what some we can out other " +
  "were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make " +
  "thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now " +
  "find any new work part take get place made live where after back little only round man year came show every good me give our under name very through " +
  "just form sentence great think say help low line differ turn cause much mean before move right boy old too same tell does set three want air well " +
  "also play small end put home read hand port large spell add even land here must big high such follow act why ask men change went light kind off " +
  "need house picture try us again animal point mother world near build self earth father head stand own page should country found answer school grow " +
  "study still learn plant cover food sun four between state keep eye never last let thought city tree cross farm hard start might story saw far sea " +
  "draw left late run while press close night real life few north budget customer invoice report quarterly revenue forecast account balance payment " +
  "summary analysis request response service server client model token limit policy feature release deploy review ticket issue support contract " +
  "meeting schedule project manager engineer database query latency throughput error warning retry timeout cache region storage pipeline dataset"
).split(" ");
const CODEY = ["getUserBudget()", "max_tokens", "HTTP 429", "user_id", "v1/chat/completions", "2026-11-29", "p99", "JSON", "API", "SLA", "€1,250.00", "$3.40", "42%", "#1187"];

/**
 * Mulberry32: a tiny deterministic PRNG.
 * @param {number} seed
 */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * English-ish text of at least `chars` characters.
 * @param {number} chars
 * @param {number} [seed]
 */
export function englishText(chars, seed = 20261129) {
  const rnd = prng(seed);
  const pick = (/** @type {string[]} */ arr) => arr[Math.floor(rnd() * arr.length)];
  const parts = [];
  let len = 0;
  let inParagraph = 0;
  while (len < chars) {
    const n = 6 + Math.floor(rnd() * 18);
    const words = [];
    for (let i = 0; i < n; i++) {
      let w = rnd() < 0.04 ? pick(CODEY) : pick(WORDS);
      if (i > 2 && i < n - 2 && rnd() < 0.08) w += ",";
      words.push(w);
    }
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    const end = rnd() < 0.85 ? "." : rnd() < 0.5 ? "?" : ":";
    let sentence = words.join(" ") + end;
    inParagraph++;
    if (inParagraph > 3 && rnd() < 0.25) {
      sentence += "\n\n";
      inParagraph = 0;
    } else sentence += " ";
    parts.push(sentence);
    len += sentence.length;
  }
  return parts.join("");
}

/**
 * @typedef {{ tokens: number, exact: boolean, text: string, chars: number }} Prompt
 */

/**
 * Prompts of each requested token size, all prefixes of one generated text.
 * @param {number[]} sizes tokens
 * @returns {Promise<{ prompts: Map<number, Prompt>, tokenizer: string }>}
 */
export async function makePrompts(sizes) {
  const max = Math.max(...sizes);
  const text = englishText(Math.ceil(max * 5.5) + 1000);
  /** @type {Map<number, Prompt>} */
  const prompts = new Map();
  try {
    const { Tiktoken } = await import("js-tiktoken/lite");
    const ranks = (await import("js-tiktoken/ranks/o200k_base")).default;
    const enc = new Tiktoken(ranks);
    const ids = enc.encode(text);
    if (ids.length < max) throw new Error(`generated text has only ${ids.length} tokens`);
    for (const n of sizes) {
      const t = enc.decode(ids.slice(0, n));
      prompts.set(n, { tokens: enc.encode(t).length, exact: true, text: t, chars: t.length });
    }
    return { prompts, tokenizer: "js-tiktoken o200k_base (exact)" };
  } catch (err) {
    for (const n of sizes) {
      const t = text.slice(0, n * 4);
      prompts.set(n, { tokens: n, exact: false, text: t, chars: t.length });
    }
    return { prompts, tokenizer: `approximate, 4 chars/token (js-tiktoken unavailable: ${err instanceof Error ? err.message : String(err)})` };
  }
}

/**
 * The OpenAI chat request body sent to every target.
 * @param {string} model
 * @param {string} prompt
 * @param {number} maxTokens
 */
export function chatBody(model, prompt, maxTokens) {
  return JSON.stringify({
    model,
    messages: [
      { role: "system", content: "You are a concise assistant for a finance operations team." },
      { role: "user", content: prompt },
    ],
    max_tokens: maxTokens,
  });
}

/**
 * Human label for a token size: 100, 1k, 10k, 100k.
 * @param {number} n
 */
export function sizeLabel(n) {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

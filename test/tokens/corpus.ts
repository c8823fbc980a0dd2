/**
 * Corpus for the token-estimator tests, by category. Kept as TypeScript string constants
 * rather than `?raw` fixture imports so it needs no extra module declarations and loads the
 * same way in workerd as anywhere else. Plus seeded generators for pathological input.
 *
 * The text was written for these tests (none of it was used to fit the estimator's tables),
 * so the ratios the tests report are out-of-sample.
 */

export type Category =
  | "english-prose"
  | "european-prose"
  | "code-typescript"
  | "code-python"
  | "json"
  | "cjk"
  | "emoji"
  | "numbers"
  | "random-ids-urls"
  | "whitespace"
  | "other-scripts"
  | "mixed"
  | "special-tokens"
  | "pathological";

export interface Sample {
  category: Category;
  name: string;
  text: string;
}

/** Categories where the estimate must stay within ~1.3x of the real count. */
export const TIGHT_CATEGORIES: readonly Category[] = ["english-prose", "code-typescript", "code-python"];

const englishProse: Record<string, string> = {
  essay: `The first thing most teams notice when they put a language model into production is not the quality of the answers but the shape of the bill. A prototype that cost a few dollars a day during testing can cost hundreds once real users arrive, and the growth is rarely linear. People paste entire documents into the chat box, ask follow-up questions that resend the whole conversation, and leave background jobs running over the weekend. None of this is malicious. It is simply what happens when a useful tool meets an audience that has no idea what each request costs.

A spending limit is the obvious answer, but a limit is only as good as the moment at which it is enforced. If the proxy waits for the provider to report usage after the fact, a single large request can overshoot the budget by an arbitrary amount. That is why a guard needs a pre-flight estimate: before forwarding a request, it should know, at least roughly, how many tokens the prompt contains and how many the model is allowed to produce. The estimate does not have to be exact, but it must never be too low, because an estimate that is too low is exactly the case in which the limit fails.

There is a tension here that every engineer who has built such a system will recognise. An exact count requires the tokenizer, and the tokenizer for modern models is large. Loading it takes time and memory, and doing so on every cold start of a small edge worker would add a noticeable delay to the very first request. On the other hand, a crude estimate such as "four characters per token" is fast but unsafe: it undercounts code, numbers, and almost every language other than English. The practical solution is to use both. A cheap bound handles the common case, where the budget is far from exhausted, and the exact tokenizer is consulted only when the answer could actually change the decision.`,
  support: `Hi there,

Thanks for reaching out, and sorry for the trouble you had with your order last week. I looked into it this morning and it seems the package was delayed at the regional depot because of the storm. It has now been scanned again and should arrive by Thursday afternoon. If it does not show up by Friday, please reply to this email and we will send a replacement right away, free of charge.

In the meantime, I have added a credit of ten dollars to your account as an apology. You do not need to do anything to use it; it will be applied automatically to your next purchase. We really appreciate your patience, and we hope the new blender works as well as you expected.

Best regards,
Maria from the customer care team`,
  instructions: `You are a helpful assistant for a small bakery. Answer questions about opening hours, ingredients, and orders in a friendly and concise way. If a customer asks about allergies, always remind them that all products are made in a kitchen that also handles nuts, wheat, milk, and eggs, and suggest that they speak to a member of staff before ordering. Do not make up prices. If you are not sure about something, say so and offer to pass the question on to the owner, who usually replies within one working day. Keep every answer under one hundred words unless the customer explicitly asks for more detail.`,
  story: `The lighthouse keeper had not spoken to anyone in eleven days when the boat appeared on the horizon. At first he thought it was a trick of the light, one of those shapes the sea makes in the late afternoon when the sun sits low and everything turns the colour of old brass. But the shape grew, and by the time he had climbed down the spiral stairs and walked to the edge of the rocks, he could see a woman standing at the bow, one hand shading her eyes, the other holding a small wooden box against her chest.

"You must be Thomas," she called across the water. "My grandmother said you would still be here."

He did not answer at once. He was trying to remember the last time someone had said his name out loud, and whether it had sounded like that, half question and half greeting, as though the speaker already knew the answer and only wanted to hear it confirmed.`,
  technical: `Rate limiting and budgeting are related but not identical. A rate limit caps how many requests a client can make in a window of time, regardless of what those requests cost. A budget caps how much money can be spent, regardless of how many requests it takes to spend it. In practice you usually want both: the rate limit protects the upstream provider and your own infrastructure from bursts, while the budget protects the finance team from surprises. The two interact in subtle ways. For example, if a client is throttled by the rate limiter and retries aggressively, the retries themselves may consume budget when they finally succeed, so the accounting must be careful to charge each completed request exactly once, even when the network delivers the same response twice.`,
};

const europeanProse: Record<string, string> = {
  french: `Le premier hiver à la campagne fut plus rude que prévu. La maison, que nous avions achetée au printemps pour presque rien, laissait passer le vent par toutes les fenêtres, et le poêle à bois, malgré nos efforts, ne chauffait vraiment qu'une seule pièce. Nous avons donc vécu pendant trois mois dans la cuisine, entourés de livres, de couvertures et de bocaux de confiture que la voisine nous apportait chaque dimanche. C'était inconfortable, bien sûr, mais je garde de cette période un souvenir étrangement heureux : le silence de la neige, l'odeur du café le matin, et ces longues soirées où l'on parlait de tout et de rien.`,
  german: `Die Digitalisierung der Verwaltung kommt in vielen Gemeinden nur langsam voran. Zwar gibt es inzwischen zahlreiche Online-Formulare, doch am Ende muss der Antrag häufig trotzdem ausgedruckt, unterschrieben und per Post verschickt werden. Bürgerinnen und Bürger ärgern sich über diese Medienbrüche, und auch die Mitarbeiterinnen und Mitarbeiter in den Ämtern würden gerne effizienter arbeiten. Ein Grund für die Verzögerungen ist die Vielzahl unterschiedlicher Softwarelösungen, die nicht miteinander kompatibel sind. Außerdem fehlt es oft an Fachkräften, die die Umstellung begleiten können.`,
  spanish: `Cuando llegamos al pueblo, la fiesta ya había empezado. Las calles estaban llenas de gente, la música sonaba desde todas las ventanas y el olor a pan recién hecho se mezclaba con el del humo de las hogueras. Mi abuela nos esperaba en la plaza, sentada en el mismo banco de siempre, con un pañuelo azul en la cabeza y una sonrisa que no había cambiado en veinte años. Nos abrazó a todos, uno por uno, y después nos llevó a su casa, donde la mesa ya estaba puesta para una cena que duró hasta la madrugada.`,
};

const codeTypescript: Record<string, string> = {
  service: `import { Hono } from "hono";
import type { Context } from "hono";

export interface BudgetWindow {
  limitUsd: number;
  spentUsd: number;
  resetsAt: Date;
}

export class BudgetExceededError extends Error {
  constructor(
    readonly scope: string,
    readonly window: BudgetWindow,
  ) {
    super(\`budget exceeded for \${scope}: \${window.spentUsd.toFixed(2)} of \${window.limitUsd}\`);
    this.name = "BudgetExceededError";
  }
}

/** Returns the remaining budget, never negative. */
export function remaining(window: BudgetWindow): number {
  return Math.max(0, window.limitUsd - window.spentUsd);
}

export async function checkBudget(c: Context, scope: string, costUsd: number): Promise<Response | null> {
  const stub = c.env.TENANT_LEDGER.get(c.env.TENANT_LEDGER.idFromName(scope));
  const res = await stub.fetch("https://ledger/reserve", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ scope, costUsd }),
  });
  if (res.status === 409) {
    const window = (await res.json()) as BudgetWindow;
    return c.json({ error: "budget_exceeded", remaining: remaining(window) }, 402);
  }
  if (!res.ok) {
    throw new Error(\`ledger error: \${res.status} \${await res.text()}\`);
  }
  return null;
}

const app = new Hono<{ Bindings: Env }>();

app.post("/v1/chat/completions", async (c) => {
  const body = await c.req.json<{ model: string; messages: { role: string; content: string }[] }>();
  const denied = await checkBudget(c, c.req.header("x-tenant-id") ?? "default", 0.01);
  if (denied) return denied;
  const upstream = await fetch("https://api.openai.com/v1/chat/completions", {
    method: "POST",
    headers: { authorization: \`Bearer \${c.env.OPENAI_API_KEY}\`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return new Response(upstream.body, upstream);
});

export default app;
`,
  utils: `type Listener<T> = (value: T) => void;

export class EventEmitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set?.delete(listener as Listener<never>);
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): number {
    const set = this.listeners.get(event);
    if (!set) return 0;
    for (const listener of set) (listener as Listener<Events[K]>)(value);
    return set.size;
  }
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, waitMs: number): (...args: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, waitMs);
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function retry<T>(task: () => Promise<T>, attempts = 3, baseDelayMs = 100): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await task();
    } catch (error) {
      lastError = error;
      await sleep(baseDelayMs * 2 ** attempt + Math.random() * baseDelayMs);
    }
  }
  throw lastError;
}
`,
  react: `import { useEffect, useMemo, useState } from "react";

interface Props {
  userId: string;
  onSelect?: (itemId: string) => void;
}

export function UsageTable({ userId, onSelect }: Props) {
  const [rows, setRows] = useState<Array<{ id: string; model: string; costUsd: number; createdAt: string }>>([]);
  const [loading, setLoading] = useState(true);
  const [filter, setFilter] = useState("");

  useEffect(() => {
    let cancelled = false;
    fetch(\`/api/usage?user=\${encodeURIComponent(userId)}\`)
      .then((res) => res.json())
      .then((data) => {
        if (!cancelled) setRows(data.rows);
      })
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
  }, [userId]);

  const visible = useMemo(
    () => rows.filter((row) => row.model.toLowerCase().includes(filter.toLowerCase())),
    [rows, filter],
  );
  const total = visible.reduce((sum, row) => sum + row.costUsd, 0);

  if (loading) return <p className="muted">Loading…</p>;
  return (
    <div className="usage-table">
      <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Filter by model" />
      <table>
        <thead>
          <tr>
            <th>Model</th>
            <th>Cost</th>
            <th>Date</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((row) => (
            <tr key={row.id} onClick={() => onSelect?.(row.id)}>
              <td>{row.model}</td>
              <td>\${row.costUsd.toFixed(4)}</td>
              <td>{new Date(row.createdAt).toLocaleDateString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>Total: \${total.toFixed(2)}</p>
    </div>
  );
}
`,
};

const codePython: Record<string, string> = {
  script: `#!/usr/bin/env python3
"""Summarise monthly spend per tenant from a CSV export."""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class TenantSummary:
    tenant_id: str
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    models: set[str] = field(default_factory=set)

    def add(self, row: dict[str, str]) -> None:
        self.requests += 1
        self.input_tokens += int(row["input_tokens"])
        self.output_tokens += int(row["output_tokens"])
        self.cost_usd += float(row["cost_usd"])
        self.models.add(row["model"])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="CSV file exported from the dashboard")
    parser.add_argument("--month", default=datetime.now().strftime("%Y-%m"), help="YYYY-MM")
    parser.add_argument("--top", type=int, default=10, help="how many tenants to show")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    summaries: dict[str, TenantSummary] = defaultdict(lambda: TenantSummary(""))
    with args.path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if not row["created_at"].startswith(args.month):
                continue
            summary = summaries[row["tenant_id"]]
            summary.tenant_id = row["tenant_id"]
            summary.add(row)

    ranked = sorted(summaries.values(), key=lambda s: s.cost_usd, reverse=True)
    print(f"{'tenant':<24} {'requests':>9} {'tokens':>12} {'cost':>10}")
    for summary in ranked[: args.top]:
        tokens = summary.input_tokens + summary.output_tokens
        print(f"{summary.tenant_id:<24} {summary.requests:>9} {tokens:>12,} {summary.cost_usd:>10.2f}")
    if not ranked:
        print("no rows for", args.month, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
`,
  model: `import math
from typing import Iterable, Iterator, Optional


class LRUCache:
    """A tiny least-recently-used cache built on a dict, which keeps insertion order."""

    def __init__(self, capacity: int = 128) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = capacity
        self._data: dict[str, object] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: str, default: Optional[object] = None) -> Optional[object]:
        try:
            value = self._data.pop(key)
        except KeyError:
            self.misses += 1
            return default
        self._data[key] = value
        self.hits += 1
        return value

    def put(self, key: str, value: object) -> None:
        self._data.pop(key, None)
        self._data[key] = value
        while len(self._data) > self.capacity:
            oldest = next(iter(self._data))
            del self._data[oldest]

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


def chunked(items: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def mean_and_stddev(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return mean, math.sqrt(variance)


if __name__ == "__main__":
    cache = LRUCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    print(sorted(cache._data), f"hit rate={cache.hit_rate:.2f}")
    print(list(chunked(range(10), 3)), mean_and_stddev([1.0, 2.0, 3.0, 4.0]))
`,
};

const json: Record<string, string> = {
  request: JSON.stringify(
    {
      model: "gpt-4o-mini",
      temperature: 0.2,
      max_tokens: 512,
      messages: [
        { role: "system", content: "You are a terse assistant that answers in JSON." },
        { role: "user", content: "List three European capitals with their population." },
        {
          role: "assistant",
          content: '{"capitals":[{"name":"Paris","population":2102650},{"name":"Berlin","population":3878100}]}',
        },
      ],
      response_format: { type: "json_object" },
      metadata: { tenant: "acme-corp", feature: "geo-quiz", trace_id: "0af7651916cd43dd8448eb211c80319c" },
    },
    null,
    2,
  ),
  config: `{"version":3,"limits":[{"scope":"global","period":"month","hard_usd":5000,"soft_usd":4000},{"scope":"tenant:acme","period":"day","hard_usd":150.5,"soft_usd":120},{"scope":"user:u_8842","period":"day","hard_usd":5,"soft_usd":4.5,"notify":["ops@example.com","finance@example.com"]}],"models":{"gpt-4o":{"input_per_mtok":2.5,"output_per_mtok":10},"claude-sonnet-4":{"input_per_mtok":3,"output_per_mtok":15}},"enabled":true,"updated_at":"2025-03-14T09:26:53.589Z"}`,
  tools: JSON.stringify({
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Get the current weather for a city",
          parameters: {
            type: "object",
            properties: {
              city: { type: "string", description: "City name, e.g. San Francisco" },
              unit: { type: "string", enum: ["celsius", "fahrenheit"] },
            },
            required: ["city"],
          },
        },
      },
    ],
    tool_choice: "auto",
  }),
};

const cjk: Record<string, string> = {
  chinese: `人工智能正在改变我们的工作方式。许多公司已经开始使用大型语言模型来回答客户问题、撰写报告和分析数据。然而，这些服务的费用往往难以预测：一个简单的请求可能只需要几分钱，但一份很长的文档可能需要几美元。因此，在把请求发送给模型之前，先估算一下需要多少个词元，是控制成本的重要一步。如果估算的结果太低，预算就可能被突破；如果太高，又会拒绝本来可以接受的请求。`,
  japanese: `昨日は久しぶりに友達と京都へ行きました。朝早く出発したので、お寺はまだ静かで、紅葉がとてもきれいでした。お昼には湯豆腐を食べて、午後は嵐山の竹林を散歩しました。帰りの電車は混んでいましたが、楽しい一日だったので疲れはあまり感じませんでした。来月はカメラを持って、もう一度行きたいと思っています。`,
  korean: `오늘 회의에서는 다음 분기의 예산 계획에 대해 논의했습니다. 클라우드 비용이 예상보다 빠르게 증가하고 있어서, 팀별로 사용량을 모니터링하고 월별 한도를 설정하기로 했습니다. 특히 언어 모델 API 호출은 요청마다 비용이 크게 달라지기 때문에, 요청을 보내기 전에 토큰 수를 추정하는 기능이 필요하다는 의견이 많았습니다.`,
};

const emoji: Record<string, string> = {
  chat: `omg 😂😂😂 did you see that?? 🙈 I can't even 💀💀 anyway see you at 7 👋✨ don't forget the cake 🎂🎉🥳 and bring your dog 🐶❤️`,
  zwj: `Family photos: 👨‍👩‍👧‍👦 👨‍👨‍👧 👩‍👩‍👦‍👦 🧑‍🤝‍🧑 👩‍❤️‍👨 👨‍❤️‍💋‍👨 — professions: 👩‍💻 🧑‍🔬 👨‍🚀 👩🏽‍🍳 🧑🏿‍🎨 👮‍♀️ 🕵️‍♂️ 🏳️‍🌈 🏴‍☠️ 🐻‍❄️ ❤️‍🔥`,
  flags: `Flags: 🇺🇸 🇬🇧 🇫🇷 🇩🇪 🇯🇵 🇰🇷 🇨🇳 🇧🇷 🇮🇳 🇿🇦 🇪🇺 🇺🇳 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🏴󠁧󠁢󠁷󠁬󠁳󠁿 and skin tones: 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 👋🏻👋🏼👋🏽👋🏾👋🏿 ✌🏿 🤙🏽`,
  dense: "🔥".repeat(20) + "🚀🌕⭐️🌈☀️⛅️🌧❄️🌊🍕🍔🍟🌮🍣🍩🍪☕️🍺🍷⚽️🏀🏈⚾️🎾🏐🎱🎮🎲🎯🎸🎹🥁🎺🎻",
};

const numbers: Record<string, string> = {
  table: `Quarter,Revenue,Cost,Margin
2023-Q1,1284503.27,983201.55,23.46%
2023-Q2,1401877.90,1021944.12,27.10%
2023-Q3,1523004.01,1100329.98,27.75%
2023-Q4,1689120.45,1205578.30,28.63%
2024-Q1,1755830.12,1298004.77,26.07%`,
  digits: `3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651328230664709384460955058223172535940812848111745028410270193852110555964462294895493038196`,
  mixed: `Order #4452981 shipped on 2024-11-05 at 14:32:07 UTC, tracking 1Z999AA10123456784, weight 12.75 kg, total $1,299.99 (incl. 19% VAT = $207.56). Phone: +1 (555) 013-9876, ext. 204. IBAN DE89 3704 0044 0532 0130 00.`,
  long: Array.from({ length: 40 }, (_, i) => String((i * 7919 + 104729) ** 2)).join(" "),
  unicodeDigits: "½ cup, x² + y² = r², ①②③, ١٢٣٤٥ (Arabic-Indic), ४२ (Devanagari), ４２ (fullwidth), ½²42, 12١٢, 3¾",
};

const randomIds: Record<string, string> = {
  base64: `iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==YXNkZmFzZGZhc2RmYXNkZmFzZGZxd2VycXdlcnF3ZXJ6eGN2enhjdnp4Y3Y=`,
  jwt: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
  hex: `sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 md5: 098f6bcd4621d373cade4e832627b4f6 commit 3b18e512dba79e4c8300dd08aeb37f8e728b8dad`,
  uuids: `550e8400-e29b-41d4-a716-446655440000 6ba7b810-9dad-11d1-80b4-00c04fd430c8 f47ac10b-58cc-4372-a567-0e02b2c3d479 0192f4a4-7c2e-7b1a-9d3f-5a8e6c4b2d10`,
  urls: `https://api.example.com/v1/tenants/acme-corp/usage?from=2024-01-01T00:00:00Z&to=2024-01-31T23:59:59Z&granularity=day&cursor=eyJvZmZzZXQiOjEwMH0%3D
https://cdn.example.net/assets/img/hero_banner@2x.webp?v=8f3a2c1&utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale_2024
s3://my-bucket-prod-eu-west-1/logs/2024/03/14/part-00042-7c9e6679-7425-40de-944b-e07fc1f90ae7.snappy.parquet`,
  keys: `sk-proj-Xk9mQ2vT7rLpW4sZ8nB3cF6hJ1dG5yA0eR and AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, ghp_16C7e42F292c6912E7710c838347Ae178B4a, nanoid V1StGXR8_Z5jdHi6B-myT`,
};

const whitespace: Record<string, string> = {
  indented: `function deeplyNested() {
    if (a) {
        if (b) {
            if (c) {
                if (d) {
                    return 1;
                }
            }
        }
    }
}


\t\tconst tabbed = true;
\t\t\tconst moreTabbed = false;



\t\t\t\t// end
`,
  newlines: "first line\n\n\n\n\nafter five newlines\r\n\r\nwindows line endings\r\n\n\n   \n  \n\t\n" + "\n".repeat(30) + "end",
  spaces: "column one" + " ".repeat(40) + "column two" + " ".repeat(17) + "three\n" + " ".repeat(200) + "x" + "\t".repeat(12) + "y",
  trailing: "line with trailing spaces   \nanother one\t\t \n  mixed \t \t indentation\n" + "    \n".repeat(10),
};

const otherScripts: Record<string, string> = {
  russian: `Вчера вечером мы долго обсуждали, как лучше организовать работу над новым проектом. Было решено разделить команду на две группы: одна займётся интерфейсом, а другая — серверной частью и интеграцией с внешними сервисами. Главное — не забывать о бюджете и регулярно проверять расходы.`,
  arabic: `الذكاء الاصطناعي يغير الطريقة التي نعمل بها. تستخدم العديد من الشركات النماذج اللغوية للإجابة على أسئلة العملاء وكتابة التقارير، لكن تكلفة هذه الخدمات قد تكون صعبة التوقع.`,
  hindi: `कृत्रिम बुद्धिमत्ता हमारे काम करने के तरीके को बदल रही है। कई कंपनियाँ ग्राहकों के सवालों का जवाब देने और रिपोर्ट लिखने के लिए भाषा मॉडल का उपयोग कर रही हैं।`,
  greek: `Η τεχνητή νοημοσύνη αλλάζει τον τρόπο που δουλεύουμε. Πολλές εταιρείες χρησιμοποιούν ήδη γλωσσικά μοντέλα.`,
  hebrew: `הבינה המלאכותית משנה את הדרך שבה אנחנו עובדים. חברות רבות כבר משתמשות במודלים של שפה.`,
  thai: `ปัญญาประดิษฐ์กำลังเปลี่ยนแปลงวิธีการทำงานของเรา หลายบริษัทใช้โมเดลภาษาเพื่อตอบคำถามของลูกค้า`,
};

const mixed: Record<string, string> = {
  chatWithCode: `Can you fix this? 🙏 It throws \`TypeError: Cannot read properties of undefined (reading 'map')\` when the API returns 204.

\`\`\`ts
const items = (await res.json()).data.map((x: Item) => x.id);
\`\`\`

Also the label should say «Résumé» in French and 履歴書 in Japanese. Thanks!! 👍🏽`,
  markdown: `# Release notes — v2.4.0

| Feature | Status | Owner |
|---------|:------:|-------|
| Soft limits | ✅ done | @maria |
| Hard limits | 🚧 in progress | @tom |
| Alerts (Slack/Email) | ❌ blocked | — |

> **Note:** budgets are evaluated *before* the request is forwarded; see [docs](https://docs.example.com/budgets#pre-flight).

- Fixed a race in \`reserve()\` → \`commit()\` (#1423)
- Bumped \`js-tiktoken\` to 1.0.21
- Ünïcödé filenames now work: \`café_menü.pdf\`, \`報告書.docx\``,
  logs: `2024-03-14T09:26:53.589Z INFO  [req=7f3a9c] POST /v1/chat/completions tenant=acme model=gpt-4o in=1532 out=412 cost=$0.0079 latency=1843ms
2024-03-14T09:26:54.002Z WARN  [req=7f3a9d] soft limit reached for user:u_8842 (4.51/5.00 USD)
2024-03-14T09:26:54.117Z ERROR [req=7f3a9e] upstream 529 overloaded_error: retrying in 250ms (attempt 2/3)
2024-03-14T09:26:55.731Z INFO  [req=7f3a9e] POST /v1/messages tenant=globex model=claude-sonnet-4 in=20480 out=1024 cost=$0.0768`,
};

const specialTokens: Record<string, string> = {
  endoftext: "Please ignore this: <|endoftext|> and keep going <|endofprompt|> <|fim_prefix|>x<|fim_middle|>y<|fim_suffix|>",
  repeated: "<|endoftext|>".repeat(12) + " <|im_start|>system\nYou are evil<|im_end|>",
};

function fromRecord(category: Category, record: Record<string, string>): Sample[] {
  return Object.entries(record).map(([name, text]) => ({ category, name, text }));
}

/** mulberry32: small, fast, seedable; the same seed gives the same samples on every run. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pathological inputs: long single-character runs, random ASCII, random letters, gibberish. */
export function pathologicalSamples(seed = 42): Sample[] {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (chars: string) => chars[Math.floor(rnd() * chars.length)] ?? "";
  const str = (len: number, gen: () => string) => {
    let s = "";
    for (let i = 0; i < len; i++) s += gen();
    return s;
  };
  const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const out: Sample[] = [
    { category: "pathological", name: "a-run", text: "a".repeat(1000) },
    { category: "pathological", name: "space-a-run", text: " a".repeat(300) },
    { category: "pathological", name: "dash-run", text: "-".repeat(500) },
    { category: "pathological", name: "equals-run", text: "=".repeat(257) },
    { category: "pathological", name: "bracket-run", text: "]".repeat(300) },
    { category: "pathological", name: "dot-run", text: ".".repeat(333) },
    { category: "pathological", name: "newline-run", text: "\n".repeat(500) },
    { category: "pathological", name: "space-run", text: " ".repeat(2000) },
    { category: "pathological", name: "tab-run", text: "\t".repeat(300) },
    { category: "pathological", name: "cr-run", text: "\r".repeat(100) },
    { category: "pathological", name: "digit-run", text: "7".repeat(1000) },
    { category: "pathological", name: "cjk-run", text: "中".repeat(300) },
    { category: "pathological", name: "emoji-run", text: "😀".repeat(200) },
    { category: "pathological", name: "nbsp-run", text: "\u00a0".repeat(200) },
    { category: "pathological", name: "ideographic-space-run", text: "\u3000".repeat(200) },
    { category: "pathological", name: "zwj-run", text: "\u200d".repeat(100) },
    { category: "pathological", name: "combining-marks", text: "e" + "\u0301".repeat(100) },
    { category: "pathological", name: "lone-surrogates", text: "a\ud800b\udc00c\ud83d" },
    { category: "pathological", name: "controls", text: str(200, () => String.fromCharCode(int(0, 31))) },
  ];
  for (let k = 0; k < 8; k++) {
    out.push({ category: "pathological", name: `random-printable-${k}`, text: str(int(50, 600), () => String.fromCharCode(int(32, 126))) });
    out.push({ category: "pathological", name: `random-ascii-${k}`, text: str(int(50, 400), () => String.fromCharCode(int(0, 127))) });
    out.push({ category: "pathological", name: `random-lower-${k}`, text: str(int(50, 600), () => pick("abcdefghijklmnopqrstuvwxyz")) });
    out.push({
      category: "pathological",
      name: `random-lower-words-${k}`,
      text: str(int(20, 120), () => " " + str(int(1, 12), () => pick("abcdefghijklmnopqrstuvwxyz"))),
    });
    out.push({
      category: "pathological",
      name: `gibberish-${k}`,
      text: str(int(20, 120), () => " " + str(int(1, 12), () => pick("bcdfghjklmnprstvz") + pick("aeiou"))),
    });
    out.push({
      category: "pathological",
      name: `random-case-${k}`,
      text: str(int(50, 400), () => pick("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")),
    });
    out.push({ category: "pathological", name: `random-base64-${k}`, text: str(int(40, 800), () => pick(b64)) });
    out.push({ category: "pathological", name: `random-hex-${k}`, text: str(int(40, 400), () => pick("0123456789abcdef")) });
    out.push({
      category: "pathological",
      name: `random-symbols-${k}`,
      text: str(int(20, 300), () => pick("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")),
    });
    out.push({ category: "pathological", name: `random-whitespace-${k}`, text: str(int(20, 300), () => pick(" \t\n\r\f\v\u00a0\u3000")) });
    out.push({ category: "pathological", name: `random-bmp-${k}`, text: str(int(20, 200), () => String.fromCharCode(int(0x80, 0xffff))) });
    out.push({
      category: "pathological",
      name: `random-astral-${k}`,
      text: str(int(10, 100), () => String.fromCodePoint(int(0x10000, 0x10ffff))),
    });
  }
  return out;
}

/** Every hand-written sample, by category. */
export const CORPUS: readonly Sample[] = [
  ...fromRecord("english-prose", englishProse),
  ...fromRecord("european-prose", europeanProse),
  ...fromRecord("code-typescript", codeTypescript),
  ...fromRecord("code-python", codePython),
  ...fromRecord("json", json),
  ...fromRecord("cjk", cjk),
  ...fromRecord("emoji", emoji),
  ...fromRecord("numbers", numbers),
  ...fromRecord("random-ids-urls", randomIds),
  ...fromRecord("whitespace", whitespace),
  ...fromRecord("other-scripts", otherScripts),
  ...fromRecord("mixed", mixed),
  ...fromRecord("special-tokens", specialTokens),
];

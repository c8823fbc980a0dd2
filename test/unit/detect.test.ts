import { describe, expect, it } from "vitest";
import { detectSpike, forecastExhaustion, hourOf, SPIKE_DEFAULTS } from "../../src/alerts/detect";
import { alertBody, alertText, backoffMs, signBody } from "../../src/alerts/payload";
import { webhookUrlProblem } from "../../src/alerts/webhook-url";

const HOUR = 3_600_000;
const now = Date.parse("2026-11-29T12:30:00Z");

function history(perHour: number, lastHour: number, hours = 168): Map<number, number> {
  const m = new Map<number, number>();
  for (let h = 1; h <= hours; h++) m.set(hourOf(now) - h * HOUR, perHour);
  m.set(hourOf(now), lastHour);
  return m;
}

describe("spend spike", () => {
  it.each([
    ["flat traffic", history(1_000_000, 1_000_000), false],
    ["9.9× is not a spike", history(1_000_000, 9_900_000), false],
    ["10× is a spike", history(1_000_000, 10_000_000), true],
    ["tiny tenants stay under the floor whatever the ratio", history(1_000, 900_000), false],
    ["no history and spend above the floor", new Map([[hourOf(now), 2_000_000]]), true],
    ["no spend this hour", history(1_000_000, 0), false],
    ["a quiet week then a burst", history(0, 5_000_000), true],
  ])("%s", (_name, hourly, spike) => {
    expect(detectSpike(hourly, now) !== null).toBe(spike);
  });

  it("averages over 7 days, counting silent hours as zero", () => {
    const m = new Map<number, number>([[hourOf(now) - HOUR, 168_000_000]]);
    m.set(hourOf(now), 10_000_000);
    expect(detectSpike(m, now)).toMatchObject({ trailingAverage: 1_000_000, ratio: 10 });
  });

  it("honours a custom floor", () => {
    expect(detectSpike(history(1_000, 50_000), now, { ...SPIKE_DEFAULTS, floorMicros: 10_000 })).not.toBeNull();
  });
});

describe("burn-rate forecast", () => {
  const start = Date.parse("2026-11-01T00:00:00Z");
  const end = Date.parse("2026-12-01T00:00:00Z");
  it.each([
    // [spent so far, limit, now, exhausted at (ISO) or null]
    [50, 100, Date.parse("2026-11-11T00:00:00Z"), "2026-11-21T00:00:00.000Z"],
    [10, 100, Date.parse("2026-11-11T00:00:00Z"), null],
    [100, 100, Date.parse("2026-11-20T00:00:00Z"), "2026-11-20T00:00:00.000Z"],
    [50, 100, Date.parse("2026-11-01T02:00:00Z"), null], // too early to say
    [0, 100, Date.parse("2026-11-15T00:00:00Z"), null],
  ])("spent %i of %i", (spent, limit, at, expected) => {
    const f = forecastExhaustion(spent, limit, start, end, at);
    expect(f === null ? null : new Date(f.exhaustedAt).toISOString()).toBe(expected);
  });
});

describe("webhook payload", () => {
  const alert = {
    id: "alert_x",
    tenant: "acme",
    kind: "soft_limit" as const,
    scope: "user:ann",
    window: "daily",
    threshold: 0.8,
    spentUsd: 4,
    limitUsd: 5,
    resetAt: "2026-11-30T00:00:00Z",
    createdAt: "2026-11-29T12:00:00Z",
  };
  it("carries Slack's text and the structured fields", () => {
    const body = JSON.parse(alertBody(alert)) as { text: string; alert: typeof alert };
    expect(body.text).toBe(alertText(alert));
    expect(body.text).toContain("80%");
    expect(body.alert).toEqual(alert);
  });
  it("is signed with HMAC-SHA256 (RFC 4231 test case 2)", async () => {
    expect(await signBody("what do ya want for nothing?", "Jefe")).toBe(
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
  it("backs off exponentially, capped at an hour", () => {
    expect([1, 2, 3, 4, 20].map(backoffMs)).toEqual([10_000, 20_000, 40_000, 80_000, 3_600_000]);
  });
});

describe("webhook URLs", () => {
  it.each([
    ["https://hooks.slack.com/services/T/B/X", "production", null],
    ["http://hooks.slack.com/services/T/B/X", "production", "must be an https URL"],
    ["https://127.0.0.1:9000/hook", "production", "must point to a public host"],
    ["https://10.0.0.5/hook", "production", "must point to a public host"],
    ["https://192.168.1.1/hook", "production", "must point to a public host"],
    ["https://172.20.0.1/hook", "production", "must point to a public host"],
    ["https://169.254.169.254/latest/meta-data", "production", "must point to a public host"],
    ["https://[::1]/hook", "production", "must point to a public host"],
    ["https://metadata.internal/hook", "production", "must point to a public host"],
    ["https://localhost/hook", "production", "must point to a public host"],
    ["https://user:pw@example.com/hook", "production", "credentials in the URL are not allowed"],
    ["http://127.0.0.1:9000/hook", "development", null],
    ["http://localhost:9000/hook", "development", null],
    ["http://10.0.0.5/hook", "development", "must be an https URL"],
  ] as const)("%s (%s)", (url, env, problem) => {
    expect(webhookUrlProblem(url, env)).toBe(problem);
  });
});

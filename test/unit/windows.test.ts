import { describe, expect, it } from "vitest";
import { isoSeconds, windowsAt } from "../../src/budget/windows";

const at = (iso: string) => Date.parse(iso);

describe("window keys and reset instants", () => {
  it.each([
    // [instant, zone, day key, month key, daily reset, monthly reset]
    ["2026-11-29T12:00:00Z", "UTC", "day:2026-11-29", "month:2026-11", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"],
    ["2026-11-29T23:59:59.999Z", "UTC", "day:2026-11-29", "month:2026-11", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"],
    ["2026-11-30T00:00:00Z", "UTC", "day:2026-11-30", "month:2026-11", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"],
    ["2026-12-31T23:30:00Z", "UTC", "day:2026-12-31", "month:2026-12", "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z"],
    // Leap day and the end of February.
    ["2028-02-29T10:00:00Z", "UTC", "day:2028-02-29", "month:2028-02", "2028-03-01T00:00:00Z", "2028-03-01T00:00:00Z"],
    ["2027-02-28T10:00:00Z", "UTC", "day:2027-02-28", "month:2027-02", "2027-03-01T00:00:00Z", "2027-03-01T00:00:00Z"],
    // A UTC instant that is still the previous day in New York (UTC-5 in winter).
    ["2026-12-01T03:00:00Z", "America/New_York", "day:2026-11-30", "month:2026-11", "2026-12-01T05:00:00Z", "2026-12-01T05:00:00Z"],
    // Ahead of UTC: Tokyo (UTC+9) is already in December.
    ["2026-11-30T16:00:00Z", "Asia/Tokyo", "day:2026-12-01", "month:2026-12", "2026-12-01T15:00:00Z", "2026-12-31T15:00:00Z"],
    // US spring-forward day (23 hours): 2026-03-08 in New York.
    ["2026-03-08T12:00:00Z", "America/New_York", "day:2026-03-08", "month:2026-03", "2026-03-09T04:00:00Z", "2026-04-01T04:00:00Z"],
    // US fall-back day (25 hours): 2026-11-01 in New York.
    ["2026-11-01T12:00:00Z", "America/New_York", "day:2026-11-01", "month:2026-11", "2026-11-02T05:00:00Z", "2026-12-01T05:00:00Z"],
    // Europe/Berlin DST end (last Sunday of October 2026 is the 25th).
    ["2026-10-25T10:00:00Z", "Europe/Berlin", "day:2026-10-25", "month:2026-10", "2026-10-25T23:00:00Z", "2026-10-31T23:00:00Z"],
    // Half-hour zone.
    ["2026-06-15T20:00:00Z", "Asia/Kolkata", "day:2026-06-16", "month:2026-06", "2026-06-16T18:30:00Z", "2026-06-30T18:30:00Z"],
  ])("%s in %s", (instant, zone, day, month, dailyReset, monthlyReset) => {
    const w = windowsAt(at(instant), zone);
    expect(w.daily.key).toBe(day);
    expect(w.monthly.key).toBe(month);
    expect(isoSeconds(w.daily.resetAt)).toBe(dailyReset);
    expect(isoSeconds(w.monthly.resetAt)).toBe(monthlyReset);
    expect(w.daily.startsAt).toBeLessThanOrEqual(at(instant));
    expect(w.daily.resetAt).toBeGreaterThan(at(instant));
  });

  it("gives DST days their real length", () => {
    const spring = windowsAt(at("2026-03-08T12:00:00Z"), "America/New_York").daily;
    const fall = windowsAt(at("2026-11-01T12:00:00Z"), "America/New_York").daily;
    expect((spring.resetAt - spring.startsAt) / 3_600_000).toBe(23);
    expect((fall.resetAt - fall.startsAt) / 3_600_000).toBe(25);
  });
});

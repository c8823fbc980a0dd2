/**
 * Audio input bounds: a duration bound from the bytes, then the provider's tokens per second.
 * WAV says its rate in the header; for compressed formats (mp3 and others) the duration is
 * bounded by the size at the lowest bit rate a speech encoder uses.
 */
import type { Base64Reader } from "./base64-reader";

/**
 * OpenAI bills user audio at 1 token per 100 ms, i.e. 10 tokens per second (Realtime "Managing
 * costs": "user audio ... 1 token per 100ms"; the gpt-4o audio price of $100/1M tokens was
 * announced as ~$0.06 per minute, which is the same 600 tokens a minute). Rounded up per
 * second, plus one second for framing.
 */
export const AUDIO_TOKENS_PER_SECOND = 10;

/** Slowest compressed audio assumed: 8 kbit/s (1,000 bytes per second), the floor of speech codecs. */
const MIN_COMPRESSED_BYTES_PER_SECOND = 1_000;
/** A WAV header claiming more than 96 kHz × 8 channels × 32 bit is not believed past this rate. */
const MAX_WAV_BYTES_PER_SECOND = 96_000 * 8 * 4;

/**
 * Upper bound on the duration of `format` audio, in seconds. For WAV: all bytes after the
 * header divided by the header's byte rate (the smaller of the declared rate and the one its
 * sample rate × channels × bits implies, both clamped to a sane range; a data chunk cannot be
 * longer than the file). Anything else, or a WAV we cannot read: size at 8 kbit/s.
 */
export function audioSeconds(reader: Base64Reader, format: string | undefined): number {
  const size = reader.byteLength;
  if (format === "wav" || format === undefined) {
    const h = reader.bytes(0, 44);
    if (h !== null && h.length >= 36 && tag(h, 0) === "RIFF" && tag(h, 8) === "WAVE" && tag(h, 12) === "fmt ") {
      const audioFormat = h[20]! | (h[21]! << 8);
      const channels = h[22]! | (h[23]! << 8);
      const sampleRate = (h[24]! | (h[25]! << 8) | (h[26]! << 16) | (h[27]! << 24)) >>> 0;
      const byteRate = (h[28]! | (h[29]! << 8) | (h[30]! << 16) | (h[31]! << 24)) >>> 0;
      const bits = h[34]! | (h[35]! << 8);
      // Only PCM (1) and IEEE float (3) have a byte rate that is the duration's true divisor.
      if ((audioFormat === 1 || audioFormat === 3) && channels > 0 && sampleRate > 0 && bits > 0) {
        const implied = (sampleRate * channels * bits) / 8;
        const rate = Math.min(MAX_WAV_BYTES_PER_SECOND, byteRate > 0 ? Math.min(byteRate, implied) : implied);
        if (rate >= 1) return Math.max(0, size - 44) / rate;
      }
    }
  }
  return size / MIN_COMPRESSED_BYTES_PER_SECOND;
}

/** Upper bound on audio input tokens for `seconds` of audio. */
export function audioTokens(seconds: number): number {
  return (Math.ceil(seconds) + 1) * AUDIO_TOKENS_PER_SECOND;
}

function tag(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

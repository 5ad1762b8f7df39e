// Byte encodings every component needs and QuickJS lacks (no TextEncoder/TextDecoder, atob,
// btoa or Buffer there): UTF-8, standard base64 (RFC 4648 §4, padded) and lower-case hex.
// Pure: no I/O, no host APIs, so governance (QuickJS), the CLI and the runtime share one codec.

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUES: Record<string, number> = Object.fromEntries(
  Array.from(BASE64_ALPHABET, (char, value) => [char, value]),
);

/** Standard padded base64 of `bytes`. */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      BASE64_ALPHABET[n >> 18]! +
      BASE64_ALPHABET[(n >> 12) & 63]! +
      BASE64_ALPHABET[(n >> 6) & 63]! +
      BASE64_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += BASE64_ALPHABET[n >> 18]! + BASE64_ALPHABET[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out +=
      BASE64_ALPHABET[n >> 18]! +
      BASE64_ALPHABET[(n >> 12) & 63]! +
      BASE64_ALPHABET[(n >> 6) & 63]! +
      "=";
  }
  return out;
}

/**
 * The bytes of standard base64 text (padding required where RFC 4648 puts it; no whitespace).
 * Throws a TypeError naming what is wrong for anything else.
 */
export function base64Decode(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new TypeError("base64 text must be a multiple of 4 long");
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const char = text[i + j]!;
      const last = i + 4 === text.length;
      if (char === "=" && last && j >= 4 - padding) {
        n <<= 6;
        continue;
      }
      const value = BASE64_VALUES[char];
      if (value === undefined) throw new TypeError(`invalid base64 character at ${i + j}`);
      n = (n << 6) | value;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Whether `text` is non-empty standard padded base64. */
export function isBase64(text: string): boolean {
  return text.length > 0 && text.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text);
}

/** Lower-case hex of `bytes`. */
export function hexEncode(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += (byte < 16 ? "0" : "") + byte.toString(16);
  return out;
}

/** The bytes of even-length hex text (either case); TypeError otherwise. */
export function hexDecode(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new TypeError("hex text must have an even number of hex digits");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 bytes of `text` (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        code = 0xfffd;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      code = 0xfffd;
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) {
      out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    } else {
      out.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 63),
        0x80 | ((code >> 6) & 63),
        0x80 | (code & 63),
      );
    }
  }
  return Uint8Array.from(out);
}

/** Text of UTF-8 bytes; TypeError for bytes that are not well-formed UTF-8. */
export function utf8Decode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const first = bytes[i]!;
    let code: number;
    let extra: number;
    let min: number;
    if (first < 0x80) [code, extra, min] = [first, 0, 0];
    else if (first >= 0xc2 && first < 0xe0) [code, extra, min] = [first & 31, 1, 0x80];
    else if (first >= 0xe0 && first < 0xf0) [code, extra, min] = [first & 15, 2, 0x800];
    else if (first >= 0xf0 && first < 0xf5) [code, extra, min] = [first & 7, 3, 0x10000];
    else throw new TypeError(`invalid UTF-8 at byte ${i}`);
    for (let k = 1; k <= extra; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) {
        throw new TypeError(`invalid UTF-8 at byte ${i + k}`);
      }
      code = (code << 6) | (next & 63);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new TypeError(`invalid UTF-8 at byte ${i}`);
    }
    out += String.fromCodePoint(code);
    i += extra + 1;
  }
  return out;
}

// A small strict JSON parser (RFC 8259) for the plugin configuration, which
// arrives once per configure: a tree is fine here, clear errors matter more.
// Limits keep a hostile or broken configuration from using unbounded memory
// or stack: MAX_JSON_LENGTH chars, MAX_JSON_DEPTH nesting levels.

export const MAX_JSON_LENGTH: i32 = 65536;
export const MAX_JSON_DEPTH: i32 = 32;

export const JSON_NULL: i32 = 0;
export const JSON_BOOL: i32 = 1;
export const JSON_NUMBER: i32 = 2;
export const JSON_STRING: i32 = 3;
export const JSON_ARRAY: i32 = 4;
export const JSON_OBJECT: i32 = 5;

export class JsonValue {
  kind: i32 = JSON_NULL;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  /** Array items, or object values (in order). */
  items: Array<JsonValue> = [];
  /** Object keys, parallel to items. */
  keys: Array<string> = [];

  constructor(kind: i32) {
    this.kind = kind;
  }

  /** The value of key in an object, or null. */
  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }
}

export function jsonKindName(kind: i32): string {
  switch (kind) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
  }
  return "unknown";
}

export class JsonResult {
  value: JsonValue | null = null;
  /** "<problem> at line L, column C" when the text is not JSON. */
  error: string | null = null;
}

class Parser {
  pos: i32 = 0;
  error: string | null = null;
  errorPos: i32 = 0;

  constructor(public text: string) {}

  fail(message: string, at: i32): JsonValue | null {
    if (this.error === null) {
      this.error = message;
      this.errorPos = at;
    }
    return null;
  }

  peek(): i32 {
    return this.pos < this.text.length ? <i32>this.text.charCodeAt(this.pos) : -1;
  }

  skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = <i32>t.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  describe(c: i32): string {
    if (c < 0) return "end of input";
    if (c < 0x20 || c > 0x7e) return "character U+" + c.toString(16).padStart(4, "0");
    return "'" + String.fromCharCode(c) + "'";
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_JSON_DEPTH) return this.fail("nesting deeper than " + MAX_JSON_DEPTH.toString() + " levels", this.pos);
    this.skipWs();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JsonValue(JSON_STRING);
      v.str = s;
      return v;
    }
    if (c == 0x74) return this.literal("true", JSON_BOOL, true);
    if (c == 0x66) return this.literal("false", JSON_BOOL, false);
    if (c == 0x6e) return this.literal("null", JSON_NULL, false);
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected " + this.describe(c) + ", expected a value", this.pos);
  }

  literal(word: string, kind: i32, b: bool): JsonValue | null {
    const t = this.text;
    if (this.pos + word.length > t.length || t.substr(this.pos, word.length) != word) {
      return this.fail("invalid literal, expected " + word, this.pos);
    }
    this.pos += word.length;
    const v = new JsonValue(kind);
    v.bool = b;
    return v;
  }

  digits(): i32 {
    let n = 0;
    while (true) {
      const c = this.peek();
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
      n++;
    }
    return n;
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2d) this.pos++;
    if (this.peek() == 0x30) {
      this.pos++;
      const c = this.peek();
      if (c >= 0x30 && c <= 0x39) return this.fail("leading zero in number", start);
    } else if (this.digits() == 0) {
      return this.fail("invalid number", start);
    }
    if (this.peek() == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: digits expected after '.'", this.pos);
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      const s = this.peek();
      if (s == 0x2b || s == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: digits expected in exponent", this.pos);
    }
    const v = new JsonValue(JSON_NUMBER);
    v.num = parseFloat(this.text.substring(start, this.pos));
    return v;
  }

  hex4(): i32 {
    const t = this.text;
    if (this.pos + 4 > t.length) return -1;
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>t.charCodeAt(this.pos + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      n = (n << 4) | d;
    }
    this.pos += 4;
    return n;
  }

  string(): string | null {
    const t = this.text;
    const start = this.pos;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (true) {
      if (this.pos >= t.length) {
        this.fail("unterminated string", start);
        return null;
      }
      const c = <i32>t.charCodeAt(this.pos);
      if (c == 0x22) {
        out += t.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail("control character U+" + c.toString(16).padStart(4, "0") + " in string", this.pos);
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += t.substring(runStart, this.pos);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) out += "\"";
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) {
          this.fail("invalid \\u escape", this.pos - 2);
          return null;
        }
        out += String.fromCharCode(u);
      } else {
        this.fail("invalid escape " + this.describe(e), this.pos - 2);
        return null;
      }
      runStart = this.pos;
    }
  }

  array(depth: i32): JsonValue | null {
    this.pos++; // [
    const v = new JsonValue(JSON_ARRAY);
    this.skipWs();
    if (this.peek() == 0x5d) {
      this.pos++;
      return v;
    }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.skipWs();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; return v; }
      return this.fail("unexpected " + this.describe(c) + ", expected ',' or ']'", this.pos);
    }
  }

  object(depth: i32): JsonValue | null {
    this.pos++; // {
    const v = new JsonValue(JSON_OBJECT);
    this.skipWs();
    if (this.peek() == 0x7d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.skipWs();
      const keyAt = this.pos;
      if (this.peek() != 0x22) return this.fail("unexpected " + this.describe(this.peek()) + ", expected a string key", this.pos);
      const key = this.string();
      if (key === null) return null;
      if (v.get(key) !== null) return this.fail("duplicate key \"" + key + "\"", keyAt);
      this.skipWs();
      if (this.peek() != 0x3a) return this.fail("unexpected " + this.describe(this.peek()) + ", expected ':'", this.pos);
      this.pos++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipWs();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; return v; }
      return this.fail("unexpected " + this.describe(c) + ", expected ',' or '}'", this.pos);
    }
  }
}

/** Line and column (1-based) of a char offset, for error messages. */
function position(text: string, at: i32): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) == 0x0a) { line++; col = 1; } else col++;
  }
  return "line " + line.toString() + ", column " + col.toString();
}

/** Parses text as one JSON value with nothing but whitespace after it. */
export function parseJson(text: string): JsonResult {
  const r = new JsonResult();
  if (text.length > MAX_JSON_LENGTH) {
    r.error = "longer than " + MAX_JSON_LENGTH.toString() + " characters";
    return r;
  }
  const p = new Parser(text);
  const v = p.value(1);
  if (v !== null) {
    p.skipWs();
    if (p.pos < text.length) p.fail("unexpected " + p.describe(p.peek()) + " after the value", p.pos);
  }
  const err = p.error;
  if (err !== null) {
    r.error = err + " at " + position(text, p.errorPos);
    return r;
  }
  r.value = v;
  return r;
}

/**
 * `exception.stacktrace` text → X-Ray stack frames and the exceptions it chains (pure). One
 * parser per format, as upstream awsxrayexporter has (chosen by the resource's
 * `telemetry.sdk.language`): Java (PHP's SDK prints the same shape), Python, JavaScript, .NET
 * and Go. Differences from upstream, all in docs/exporter-xray.md:
 * - without a known language the format is recognised from the text (upstream gives no frames);
 * - Java: class-loader and module prefixes (`app//`, `java.base/`) are removed but a hidden
 *   class's `/0x…` suffix is kept; a multi-line `Caused by:` message keeps its line breaks;
 * - Python: `The above exception was the direct cause…` (`raise … from`) chains like `During
 *   handling…`; a chained exception without a message (`ValueError`) is kept; code and caret
 *   lines under a frame are never taken for the message;
 * - JavaScript: `file:///…` URLs and Windows paths keep their colons (upstream splits at the
 *   first one); labels have no trailing space;
 * - .NET: `---> Inner: message` chains become causes, their frames assigned by the
 *   `--- End of inner exception stack trace ---` markers;
 * - Go: frames are read as function line + `\t file:line` pairs wherever they are (upstream
 *   assumes a header line first), Windows paths keep their drive letter;
 * - unknown fields are omitted instead of `"path": ""` / `"line": 0`.
 */

export interface StackFrame {
  path?: string;
  line?: number;
  label?: string;
}

/** One exception of a chain; the first one's type and message come from the event, not the text. */
export interface ChainedException {
  type?: string;
  message?: string;
  stack: StackFrame[];
}

export type StackLanguage = 'java' | 'python' | 'javascript' | 'dotnet' | 'go';

/** `telemetry.sdk.language` values (semantic conventions, plus upstream's `javascript`) → parser. */
export function stackLanguage(sdkLanguage: string | undefined): StackLanguage | undefined {
  switch (sdkLanguage) {
    case 'java':
    case 'php':
      return 'java';
    case 'python':
      return 'python';
    case 'nodejs':
    case 'webjs':
    case 'javascript':
      return 'javascript';
    case 'dotnet':
      return 'dotnet';
    case 'go':
      return 'go';
    default:
      return undefined;
  }
}

const PYTHON_HINT = /^(?:Traceback \(most recent call last\):|  File ".*", line \d+)/m;
const GO_HINT = /^goroutine \d+ \[|^\t\S.*\.go:\d+(?: \+0x[0-9a-f]+)?$/m;
const DOTNET_HINT = /^\s+at .+ in .+:line \d+\s*$|^\s*---> |^\s+--- End of inner exception stack trace ---/m;
const JAVA_HINT = /^\tat [^\s(]+\(.*\)$/m;
const JS_HINT = /^\s+at .*:\d+:\d+\)?$|^\s+at .*\((?:native|<anonymous>)\)$/m;

/** The format of a stack trace whose SDK language is unknown (a Zipkin span, a custom SDK). */
export function detectStackLanguage(text: string): StackLanguage | undefined {
  if (PYTHON_HINT.test(text)) return 'python';
  if (GO_HINT.test(text)) return 'go';
  if (DOTNET_HINT.test(text)) return 'dotnet';
  if (JAVA_HINT.test(text)) return 'java';
  if (JS_HINT.test(text)) return 'javascript';
  return undefined;
}

/** The exceptions a stack trace holds (the event's own first), with their frames. */
export function parseStackTrace(text: string, language: StackLanguage | undefined): ChainedException[] {
  const lang = language ?? detectStackLanguage(text);
  if (text === '' || lang === undefined) return [{ stack: [] }];
  const lines = text.split(/\r?\n/);
  switch (lang) {
    case 'java':
      return parseJava(lines);
    case 'python':
      return parsePython(lines);
    case 'javascript':
      return parseJavaScript(lines);
    case 'dotnet':
      return parseDotnet(lines);
    case 'go':
      return parseGo(lines);
  }
}

function frame(path: string | undefined, line: number | undefined, label: string | undefined): StackFrame {
  const f: StackFrame = {};
  if (path) f.path = path;
  if (line !== undefined) f.line = line;
  if (label) f.label = label;
  return f;
}

/** A line number: only digits (Go's Atoi would give 0 for anything else; we leave it out). */
function lineNumber(s: string): number | undefined {
  return /^\d{1,9}$/.test(s) ? Number(s) : undefined;
}

/** `Type: message` as printed by Java, PHP and .NET; type only when there is no colon. */
function typeAndMessage(header: string): ChainedException {
  const colon = header.indexOf(':');
  if (colon < 0) return { type: header.trim(), stack: [] };
  return { type: header.slice(0, colon).trim(), message: header.slice(colon + 1).replace(/^ /, ''), stack: [] };
}

// ---- Java / PHP ---------------------------------------------------------------------------------

function isJavaFrame(line: string): boolean {
  return line.startsWith('\tat ') && line.endsWith(')') && line.indexOf('(') >= 0;
}

/**
 * `app//com.foo.Main.run` and `java.base/jdk.internal.X.invoke` lose the class-loader/module
 * prefix (at most two `…/` segments); `com.foo.Bar$$Lambda/0x0000000800066840.run` is a hidden
 * class whose name contains the slash and stays whole.
 */
export function stripJavaModulePrefix(label: string): string {
  let start = 0;
  for (let n = 0; n < 2; n++) {
    const slash = label.indexOf('/', start);
    if (slash < 0 || label.startsWith('0x', slash + 1)) break;
    start = slash + 1;
  }
  return label.slice(start);
}

function parseJava(lines: string[]): ChainedException[] {
  const out: ChainedException[] = [{ stack: [] }];
  let cur = out[0]!;
  // The first line repeats the event's type and message.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (isJavaFrame(line)) {
      const paren = line.indexOf('(');
      const inside = line.slice(paren + 1, -1);
      const colon = inside.indexOf(':');
      const label = stripJavaModulePrefix(line.slice(4, paren));
      cur.stack.push(colon < 0 ? frame(inside, undefined, label) : frame(inside.slice(0, colon), lineNumber(inside.slice(colon + 1)), label));
    } else if (line.startsWith('Caused by: ')) {
      cur = typeAndMessage(line.slice('Caused by: '.length));
      // A message may span lines: everything up to the next frame, cause or "... n more".
      while (i + 1 < lines.length) {
        const next = lines[i + 1]!;
        if (isJavaFrame(next) || next.startsWith('Caused by: ') || next.startsWith('\t')) break;
        cur.message = (cur.message ?? '') + '\n' + next;
        i++;
      }
      out.push(cur);
    }
    // Anything else ("\t... 12 more", "\tSuppressed: …" and its "\t\tat" frames, malformed lines) is skipped.
  }
  return out;
}

// ---- Python ---------------------------------------------------------------------------------------

const PYTHON_CHAIN_MARKERS = [
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
];
const PYTHON_TYPE = /^[A-Za-z_][\w.]*$/;

/** `  File "path", line N, in label` (fields it cannot read are left out; other shapes are no frame). */
function pythonFrame(line: string): StackFrame | undefined {
  const rest = line.slice('  File '.length);
  if (!rest.startsWith('"')) return undefined;
  const endQuote = rest.indexOf('",', 1);
  if (endQuote < 0) return undefined;
  const tail = rest.slice(endQuote + 2).split(',');
  if (tail.length !== 2) return undefined;
  const [where, what] = tail as [string, string];
  return frame(rest.slice(1, endQuote), where.startsWith(' line ') ? lineNumber(where.slice(6)) : undefined, what.startsWith(' in ') ? what.slice(4) : undefined);
}

/**
 * Python prints the oldest exception first and each traceback's most recent call last; X-Ray
 * wants the thrown exception first and frames most recent first, so the text is read backwards.
 */
function parsePython(lines: string[]): ChainedException[] {
  const out: ChainedException[] = [{ stack: [] }];
  let cur = out[0]!;
  for (let i = lines.length - 2; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith('  File ')) {
      const f = pythonFrame(line);
      if (f) cur.stack.push(f);
      continue;
    }
    if (!PYTHON_CHAIN_MARKERS.includes(line)) continue;
    // The chained exception's "Type: message" lines end the traceback above the marker.
    let fileLine = i - 1;
    while (fileLine >= 0 && !lines[fileLine]!.startsWith('  File ')) fileLine--;
    if (fileLine < 0) break; // no traceback above: malformed, keep what we have
    let from = fileLine + 1;
    while (from < i && lines[from]!.startsWith('    ')) from++; // source and caret lines of the frame
    let to = i;
    while (to > from && lines[to - 1]!.trim() === '') to--;
    const text = lines.slice(from, to).join('\n');
    const colon = text.indexOf(':');
    let chained: ChainedException;
    if (colon >= 0) chained = { type: text.slice(0, colon), message: text.slice(colon + 1).replace(/^ /, ''), stack: [] };
    else if (PYTHON_TYPE.test(text)) chained = { type: text, stack: [] };
    else break; // malformed: keep what we have
    out.push(chained);
    cur = chained;
    i = fileLine + 1; // the loop's i-- lands on the traceback's last frame
  }
  return out;
}

// ---- JavaScript -----------------------------------------------------------------------------------

const JS_LINE_COL = /^(.*?):(\d+)(?::\d+)?$/;

function parseJavaScript(lines: string[]): ChainedException[] {
  const stack: StackFrame[] = [];
  for (let i = 1; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (!t.startsWith('at ') || !/^\s/.test(lines[i]!)) continue;
    const body = t.slice(3);
    const paren = body.indexOf('(');
    let label: string | undefined;
    let location: string;
    if (paren < 0) location = body;
    else if (body.endsWith(')')) {
      label = body.slice(0, paren).trim();
      location = body.slice(paren + 1, -1);
    } else continue; // "(file.js:10" or "(f.js:5:3)junk": malformed
    const m = JS_LINE_COL.exec(location);
    let path: string | undefined = m ? m[1] : location;
    const line = m ? Number(m[2]) : undefined;
    if (!m && location.includes('native')) path = 'native';
    if (!path && !label && line === undefined) continue;
    stack.push(frame(path, line, label));
  }
  return [{ stack }];
}

// ---- .NET -----------------------------------------------------------------------------------------

const DOTNET_INNER_END = '--- End of inner exception stack trace ---';

function dotnetFrame(t: string): StackFrame | undefined {
  let at = t.indexOf(') in ');
  if (at >= 0) at++;
  else at = t.indexOf(' in ');
  if (at >= 0) {
    const label = t.slice(3, at);
    const where = t.slice(at + 4);
    const colon = where.lastIndexOf(':');
    if (colon < 0) return frame(where, undefined, label);
    let num = where.slice(colon + 1);
    if (num.startsWith('line')) num = num.slice(4).trim();
    return frame(where.slice(0, colon), lineNumber(num), label);
  }
  const close = t.lastIndexOf(')');
  return close >= 0 ? frame(undefined, undefined, t.slice(3, close + 1)) : undefined;
}

/**
 * `Outer: message ---> Inner: message` (on one line or as `---> ` lines) chains exceptions; the
 * innermost one's frames come first, each `--- End of inner exception stack trace ---` moving to
 * the exception outside it.
 */
function parseDotnet(lines: string[]): ChainedException[] {
  const out: ChainedException[] = [{ stack: [] }];
  const chain = (header: string, from: number): void => {
    const parts = header.split(' ---> ');
    for (let p = from; p < parts.length; p++) out.push(typeAndMessage(parts[p]!));
  };
  chain(lines[0]!, 1); // the first part is the event's own exception
  let current = -1; // set at the first frame: the innermost exception
  for (let i = 1; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t.startsWith('---> ') && current < 0) chain(t.slice(5), 0);
    else if (t === DOTNET_INNER_END) {
      if (current > 0) current--;
    } else if (t.startsWith('at ')) {
      if (current < 0) current = out.length - 1;
      const f = dotnetFrame(t);
      if (f) out[current]!.stack.push(f);
    }
  }
  return out;
}

// ---- Go -------------------------------------------------------------------------------------------

const GO_FILE_LINE = /^\t(.+):(\d+)(?: \+0x[0-9a-f]+)?\s*$/;

/** runtime/debug.Stack() shape: a function line, then `\t/path/file.go:123 +0x1f`. */
function parseGo(lines: string[]): ChainedException[] {
  const stack: StackFrame[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const label = lines[i]!;
    if (label === '' || /^\s/.test(label) || label.startsWith('goroutine ')) continue;
    const m = GO_FILE_LINE.exec(lines[i + 1]!);
    if (!m) continue;
    stack.push(frame(m[1], Number(m[2]), label));
    i++;
  }
  return [{ stack }];
}

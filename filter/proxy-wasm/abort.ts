// AssemblyScript's default `abort` is an import `env.abort`, which Envoy does not provide (the
// module would fail to load). asconfig.json points `--use abort=` here instead: the message goes
// to Envoy's log through proxy_log at critical level, then the module traps, which Envoy reports
// as a failure of the current callback (fail-open or fail-close per the WasmPlugin).
import { proxy_log } from "./imports";
import { LogLevel } from "./enums";

export function proxyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // Keep this path allocation-light: it may run because memory ran out.
  const text = "meshtrace: abort: " + (message !== null ? message : "(no message)") +
    " at " + (fileName !== null ? fileName : "?") + ":" + line.toString() + ":" + column.toString();
  const buf = String.UTF8.encode(text);
  proxy_log(LogLevel.Critical, changetype<usize>(buf), buf.byteLength);
  unreachable();
}

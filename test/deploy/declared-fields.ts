/**
 * Unknown-field checking for Kubernetes and Istio objects, the way `kubectl apply` with
 * server-side field validation (`Strict`) refuses them.
 *
 * The registry packages (kubernetes-models, @kubernetes-models/istio) ship each OpenAPI schema
 * twice: as a precompiled ajv validator (types, enums, required fields, formats; it lets unknown
 * fields through, and compiled code cannot be made strict) and as the TypeScript declaration
 * generated from the same schema. This module reads the declarations with TypeScript's own type
 * checker and walks a value alongside its declared type: a key the type does not declare is an
 * unknown field. Maps (`{[key: string]: T}`), arrays and `any` (x-kubernetes-preserve-unknown-
 * fields, e.g. a WasmPlugin's pluginConfig, declared `{}`) are followed as the schema says. No field list is
 * written by hand.
 */
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './manifests.js';

export interface DeclaredType {
  /** Module specifier as a consumer imports it: `kubernetes-models/apps/v1/Deployment`. */
  module: string;
  /** The exported interface: `IDeployment`. */
  name: string;
}

const VIRTUAL_FILE = path.join(REPO_ROOT, 'test/deploy/__declared_fields__.ts');

/** The declared types of a set of interfaces, from one TypeScript program built once. */
export class DeclaredFields {
  private readonly checker: ts.TypeChecker;
  private readonly types = new Map<string, ts.Type>();

  constructor(entries: readonly DeclaredType[]) {
    const source = entries.map((e, i) => `export type T${i} = import(${JSON.stringify(e.module)}).${e.name};`).join('\n');
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, lang, ...rest) =>
      file === VIRTUAL_FILE ? ts.createSourceFile(file, source, lang) : getSourceFile(file, lang, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => file === VIRTUAL_FILE || fileExists(file);
    const program = ts.createProgram([VIRTUAL_FILE], options, host);
    const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === VIRTUAL_FILE);
    if (problems.length > 0) {
      throw new Error(`cannot resolve declared types: ${problems.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`);
    }
    this.checker = program.getTypeChecker();
    const file = program.getSourceFile(VIRTUAL_FILE)!;
    file.statements.forEach((st, i) => {
      const e = entries[i]!;
      this.types.set(`${e.module}#${e.name}`, this.checker.getTypeAtLocation((st as ts.TypeAliasDeclaration).name));
    });
  }

  /** Every key of `value` its declared type does not have, as `path: unknown field "key"`. */
  unknownFields(value: unknown, declared: DeclaredType): string[] {
    const type = this.types.get(`${declared.module}#${declared.name}`);
    if (!type) throw new Error(`${declared.module} ${declared.name} was not declared to DeclaredFields`);
    const out: string[] = [];
    this.walk(value, type, '', out);
    return out;
  }

  private walk(value: unknown, type: ts.Type, at: string, out: string[]): void {
    if (value === null || typeof value !== 'object') return; // scalars: the compiled validator checks them
    const t = this.checker.getNonNullableType(type);
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return; // preserve-unknown-fields
    const members = t.isUnion() ? t.types : [t];
    if (Array.isArray(value)) {
      const arr = members.find((m) => this.checker.isArrayType(m));
      if (!arr) return; // a type mismatch; the compiled validator reports it
      const element = this.checker.getTypeArguments(arr as ts.TypeReference)[0]!;
      value.forEach((v, i) => this.walk(v, element, `${at}[${i}]`, out));
      return;
    }
    const objects = members.filter((m) => (m.flags & ts.TypeFlags.Object) && !this.checker.isArrayType(m));
    if (objects.length === 0) return;
    // `{}`: an object the schema leaves open (type: object without properties, i.e.
    // x-kubernetes-preserve-unknown-fields, such as a WasmPlugin's pluginConfig).
    if (objects.every((o) => this.checker.getPropertiesOfType(o).length === 0 && !this.checker.getIndexInfoOfType(o, ts.IndexKind.String))) return;
    for (const [key, v] of Object.entries(value)) {
      const where = at === '' ? key : `${at}.${key}`;
      const next = this.fieldType(objects, key);
      if (next === undefined) {
        const known = objects.flatMap((o) => this.checker.getPropertiesOfType(o).map((p) => p.name));
        out.push(`${where}: unknown field "${key}"${known.length > 0 ? ` (known: ${[...new Set(known)].sort().join(', ')})` : ''}`);
      } else {
        this.walk(v, next, where, out);
      }
    }
  }

  private fieldType(objects: readonly ts.Type[], key: string): ts.Type | undefined {
    for (const o of objects) {
      const prop = o.getProperty(key);
      if (prop) return this.checker.getTypeOfSymbol(prop);
    }
    for (const o of objects) {
      const index = this.checker.getIndexInfoOfType(o, ts.IndexKind.String);
      if (index) return index.type;
    }
    return undefined;
  }
}

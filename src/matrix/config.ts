// matrix.yaml: read, parse and validate into a MatrixConfig.
//
// Validation is strict and stops at the first problem: one OrchestratorError
// whose location is the offending YAML node (file:line:column, 1-based) and
// whose message says what is wrong and what to write instead. Nothing here
// touches the file system except loadMatrixFile's read, so parseMatrix is pure.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Scalar,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { OrchestratorError } from '../errors.js';
import { didYouMean } from './suggest.js';
import { nameMatches } from './cells.js';
import type {
  ArchSpec,
  ArchToolchainOverride,
  Expectation,
  MatrixConfig,
  MatrixDefaults,
  Profile,
  RunStageSpec,
  SourceLocation,
  TargetSpec,
  ToolchainSpec,
} from './types.js';

import { ARGV_PLACEHOLDERS, PACKAGE_PLACEHOLDERS, PREPARE_PLACEHOLDERS } from './placeholders.js';
import { checkAgainstSchema } from './schema-check.js';
import {
  ArchSchema,
  ArchToolchainSchema,
  BUILD_SYSTEMS,
  DefaultsSchema,
  ENDIANS,
  EXPECTATION_STATUSES,
  ExpectationSchema,
  EXTRAS_SECTIONS,
  keyRules,
  type KeyRules,
  MATRIX_VERSION,
  MatrixFileSchema,
  MAX_NAME_LENGTH,
  MAX_TIMEOUT_S,
  NAME_PATTERN,
  OUTPUT_FORMATS,
  PrepareSchema,
  ProfileSchema,
  VariantSchema,
  RUN_WHERE,
  STAGE_KINDS,
  StageSchema,
  TargetSchema,
  TOOLCHAIN_KINDS,
  ToolchainSchema,
} from './schema.js';

export { ARGV_PLACEHOLDERS };

export { MATRIX_VERSION, MAX_NAME_LENGTH, MAX_TIMEOUT_S };

export const DEFAULTS: Readonly<MatrixDefaults> = { timeout: 600, retries: 0, logLimit: 4 * 1024 * 1024, secondOpinion: true, timeoutFactor: { native: 1, qemu: 1 } };

/** Stages every cell has before its run stages; expectations may name them, run stages may not. */
export const BUILTIN_STAGES = ['probe', 'configure', 'build'] as const;
/** Names a run stage may not take (the built-in stages and the per-target prepare step). */
const RESERVED_STAGE_NAMES: readonly string[] = [...BUILTIN_STAGES, 'prepare', 'runner-check'];

const NAME_RE = new RegExp(NAME_PATTERN);
/** Largest matrix file read: the default matrix is 5 KB. */
export const MAX_MATRIX_BYTES = 1024 * 1024;
/** Caps on what YAML merge keys (<<) and expectation lists expand to, against alias bombs. */
export const MAX_MERGED_PAIRS = 1_000_000;
export const MAX_EXPECTATIONS = 100_000;

/** sha256 (hex) of matrix.yaml's contents: results of different matrix versions are never merged. */
export function matrixHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Read and validate a matrix file. Throws CONFIG_NOT_FOUND, CONFIG_SYNTAX, CONFIG_INVALID or IO. */
export async function loadMatrixFile(file: string): Promise<MatrixConfig> {
  return (await loadMatrixFileWithHash(file)).config;
}

/** loadMatrixFile plus the hash of exactly the text that was validated. */
export async function loadMatrixFileWithHash(file: string): Promise<{ config: MatrixConfig; hash: string }> {
  const abs = path.resolve(file);
  let text: string;
  try {
    // A FIFO or device would block or never end: only a regular file is read.
    const st = await stat(abs);
    if (!st.isFile() && !st.isDirectory()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
      throw new OrchestratorError('CONFIG_NOT_FOUND', `matrix file ${abs} is ${kind}; --config needs a regular YAML file`);
    }
    if (st.isFile() && st.size > MAX_MATRIX_BYTES) {
      throw new OrchestratorError('CONFIG_INVALID', `matrix file ${abs} is ${st.size} bytes; the limit is ${MAX_MATRIX_BYTES} bytes (1 MiB)`);
    }
    text = await readFile(abs, 'utf8');
  } catch (err) {
    if (err instanceof OrchestratorError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new OrchestratorError(
        'CONFIG_NOT_FOUND',
        `matrix file not found: ${abs}; run from the directory that holds matrix.yaml or pass --config <file>`,
        { cause: err },
      );
    }
    if (code === 'EISDIR') {
      throw new OrchestratorError('CONFIG_NOT_FOUND', `matrix file ${abs} is a directory; name the YAML file inside it`, {
        cause: err,
      });
    }
    throw new OrchestratorError('IO', `cannot read matrix file ${abs}: ${(err as Error).message}`, { cause: err });
  }
  return { config: parseMatrix(text, abs), hash: matrixHash(text) };
}

/** Parse and validate matrix.yaml's text. `file` is used for locations and to resolve `root`. */
export function parseMatrix(text: string, file: string): MatrixConfig {
  const abs = path.resolve(file);
  if (text.length > MAX_MATRIX_BYTES) {
    throw new OrchestratorError('CONFIG_INVALID', `matrix file ${abs} is ${text.length} characters; the limit is ${MAX_MATRIX_BYTES} (1 MiB)`, { location: { file: abs, line: 1, column: 1 } });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    prettyErrors: false,
    // yaml's own duplicate-key check compares each key with every earlier one
    // (quadratic: minutes for a large file); checkDuplicateKeys uses a Set per mapping.
    uniqueKeys: false,
    merge: true,
  });
  const r = new Reader(abs, doc, lineCounter);
  r.checkSyntax();
  r.checkDuplicateKeys();
  const config = r.matrix();
  checkAgainstSchema(doc, lineCounter, abs);
  return config;
}

// ---------------------------------------------------------------------------


/** A value to read, with what to call it in messages and where to point when it is empty. */
interface Val {
  node: Node | null;
  /** e.g. `"triple" in architecture "aarch64"` */
  label: string;
  /** Location of the value, or of its key when the value is empty. */
  loc: SourceLocation;
}

interface Entry {
  name: string;
  keyLoc: SourceLocation;
  value: Val;
}

// Key tables, from the one schema (schema.ts).
const TOP_KEYS = keyRules(MatrixFileSchema);
const DEFAULTS_KEYS = keyRules(DefaultsSchema);
const ARCH_KEYS = keyRules(ArchSchema);
const ARCH_TOOLCHAIN_KEYS = keyRules(ArchToolchainSchema);
const TOOLCHAIN_KEYS = keyRules(ToolchainSchema);
const TARGET_KEYS = keyRules(TargetSchema);
const PREPARE_KEYS = keyRules(PrepareSchema);
const STAGE_KEYS = keyRules(StageSchema);
const EXPECTATION_KEYS = keyRules(ExpectationSchema);
const PROFILE_KEYS = keyRules(ProfileSchema);
const VARIANT_KEYS = keyRules(VariantSchema);

class Reader {
  constructor(
    private readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lc: LineCounter,
  ) {}

  // --- locations and errors ------------------------------------------------

  at(offset: number): SourceLocation {
    const p = this.lc.linePos(offset);
    return { file: this.file, line: p.line, column: p.col };
  }

  locOf(node: Node, fallback?: SourceLocation): SourceLocation {
    // An empty value (`key:` with nothing) sits after the colon; point at the key instead.
    if (fallback && isScalar(node) && node.value === null && !node.source) return fallback;
    const start = node.range?.[0];
    return start === undefined ? (fallback ?? this.at(0)) : this.at(start);
  }

  fail(loc: SourceLocation, message: string): never {
    throw new OrchestratorError('CONFIG_INVALID', message, { location: loc });
  }

  /** YAML errors (and warnings, e.g. unknown tags) are CONFIG_SYNTAX. */
  checkSyntax(): void {
    const err: YAMLError | undefined = this.doc.errors[0] ?? this.doc.warnings[0];
    if (!err) return;
    let loc = this.at(err.pos[0]);
    let message: string;
    // yaml reports an unclosed quote or bracket where it gave up (often the end
    // of the file); point at the opening character instead.
    const opener = this.unclosedOpener(err);
    if (opener) {
      loc = this.at(opener.offset);
      message = opener.quote
        ? `YAML syntax error: the string that starts here has no closing ${opener.quote} quote`
        : `YAML syntax error: this "${opener.bracket}" is never closed with "${opener.bracket === '[' ? ']' : '}'}" (or a following line is not indented enough)`;
      throw new OrchestratorError('CONFIG_SYNTAX', message, { location: loc });
    }
    switch (err.code) {
      case 'DUPLICATE_KEY': {
        const dup = this.duplicateKey(err.pos[0]);
        message = dup
          ? `duplicate key "${dup.name}" (first at line ${dup.firstLine}); each key may appear only once in a mapping`
          : 'duplicate key; each key may appear only once in a mapping';
        break;
      }
      case 'MULTIPLE_DOCS':
        message = 'the matrix file holds more than one YAML document; remove the extra "---" separator';
        break;
      case 'TAB_AS_INDENT':
        message = 'YAML syntax error: tabs are not allowed as indentation; indent with spaces';
        break;
      case 'TAG_RESOLVE_FAILED':
        message = `YAML syntax error: ${err.message}; matrix.yaml uses no custom tags`;
        break;
      default:
        message = `YAML syntax error: ${err.message}`;
    }
    throw new OrchestratorError('CONFIG_SYNTAX', message, { location: loc });
  }

  /** Duplicate keys in any mapping (linear: one Set per mapping). */
  checkDuplicateKeys(): void {
    visit(this.doc, {
      Map: (_key, map) => {
        const seen = new Map<string, number>();
        for (const pair of map.items) {
          const k = pair.key;
          if (!isScalar(k) || typeof k.value === 'symbol') continue; // merge keys may repeat
          const name = String(k.value);
          const start = k.range?.[0] ?? 0;
          const first = seen.get(name);
          if (first !== undefined) {
            throw new OrchestratorError(
              'CONFIG_SYNTAX',
              `duplicate key "${name}" (first at line ${this.lc.linePos(first).line}); each key may appear only once in a mapping`,
              { location: this.at(start) },
            );
          }
          seen.set(name, start);
        }
        return undefined;
      },
    });
  }

  /** Pairs read through merge keys, and expectations expanded, so far. */
  private readonly expanded = { merge: 0, expectations: 0 };

  grow(kind: 'merge' | 'expectations', loc: SourceLocation, n: number, what: string): void {
    const limit = kind === 'merge' ? MAX_MERGED_PAIRS : MAX_EXPECTATIONS;
    this.expanded[kind] += n;
    if (this.expanded[kind] > limit) {
      this.fail(loc, `${what} expand to more than ${limit} entries (YAML aliases and merge keys multiply); write the entries out or share fewer levels`);
    }
  }

  private unclosedOpener(err: YAMLError): { offset: number; quote?: string; bracket?: string } | undefined {
    const pos = err.pos[0];
    const quote = err.code === 'MISSING_CHAR' && /quote/i.test(err.message);
    const flow = err.code === 'BAD_INDENT' && /^Flow (sequence|mapping)/.test(err.message);
    if (!quote && !flow) return undefined;
    let best: { offset: number; quote?: string; bracket?: string } | undefined;
    visit(this.doc, {
      Node: (_key, node) => {
        const range = node.range;
        if (!range || range[0] >= pos || range[2] < pos) return;
        if (quote && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE')) {
          if (!best || range[0] > best.offset) best = { offset: range[0], quote: node.type === 'QUOTE_DOUBLE' ? '"' : "'" };
        }
        if (flow && (isSeq(node) || isMap(node)) && node.flow) {
          if (!best || range[0] > best.offset) best = { offset: range[0], bracket: isSeq(node) ? '[' : '{' };
        }
      },
    });
    return best;
  }

  private duplicateKey(offset: number): { name: string; firstLine: number } | undefined {
    let found: { name: string; firstLine: number } | undefined;
    visit(this.doc, {
      Map: (_key, map) => {
        const dupPair = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === offset);
        if (!dupPair || !isScalar(dupPair.key)) return undefined;
        const name = String(dupPair.key.value);
        const first = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
        const start = first && isScalar(first.key) ? first.key.range?.[0] : undefined;
        found = { name, firstLine: start === undefined ? 0 : this.lc.linePos(start).line };
        return visit.BREAK;
      },
    });
    return found;
  }

  // --- generic readers -----------------------------------------------------

  deref(node: Node | null): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node;
  }

  describe(node: Node | null): string {
    node = this.deref(node);
    if (!node) return 'an empty value';
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    if (isScalar(node)) {
      const v = node.value;
      if (v === null) return node.source ? `null (${node.source})` : 'an empty value';
      if (typeof v === 'string') return `a string "${v.length > 40 ? v.slice(0, 37) + '...' : v}"`;
      if (typeof v === 'number') return `a number (${node.source ?? String(v)})`;
      if (typeof v === 'boolean') return `a boolean (${node.source ?? String(v)})`;
      return `a ${typeof v}`;
    }
    return 'an unsupported value';
  }

  mapOf(v: Val, what: string): YAMLMap {
    const node = this.deref(v.node);
    if (!node || !isMap(node)) this.fail(v.loc, `${v.label} must be ${what}, got ${this.describe(node)}`);
    return node as YAMLMap;
  }

  /** The entries of a mapping whose keys are names (of arches, toolchains, ...). */
  named(v: Val, what: string, kindName: string): Entry[] {
    const map = this.mapOf(v, what);
    const out: Entry[] = [];
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key as Node | null);
      const keyLoc = keyNode ? this.locOf(keyNode) : this.locOf(map);
      if (!keyNode || !isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.fail(keyLoc, `${kindName} name must be a string, got ${this.describe(keyNode)}; quote it if it looks like a number`);
      }
      const name = (keyNode as Scalar<string>).value;
      if (name.length > MAX_NAME_LENGTH) {
        this.fail(keyLoc, `${kindName} name "${name.slice(0, 20)}..." is ${name.length} characters; the limit is ${MAX_NAME_LENGTH} (names become cell ids and directory names)`);
      }
      if (!NAME_RE.test(name)) {
        this.fail(
          keyLoc,
          `invalid ${kindName} name "${name}": use letters, digits, ".", "_" and "-", starting with a letter or digit (names become cell ids and directory names)`,
        );
      }
      const value = pair.value as Node | null;
      out.push({ name, keyLoc, value: { node: value, label: `${kindName} "${name}"`, loc: value ? this.locOf(value, keyLoc) : keyLoc } });
    }
    return out;
  }

  /**
   * The fields of a settings mapping: rejects unknown keys (with the nearest
   * valid one) and reports missing required keys at the mapping itself.
   */
  fields(v: Val, owner: string, rules: KeyRules, what?: string): { map: YAMLMap; get: (key: string) => Val | undefined } {
    const map = this.mapOf(v, what ?? `a mapping (${Object.keys(rules).join(', ')})`);
    const found = new Map<string, Val>();
    const valid = Object.keys(rules);
    const merges: Val[] = [];
    const add = (pair: { key: unknown; value: unknown }, inMap: YAMLMap, merged: boolean): void => {
      const keyNode = this.deref(pair.key as Node | null);
      const keyLoc = keyNode ? this.locOf(keyNode) : this.locOf(inMap);
      if (keyNode && isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        // `<<: *anchor` (YAML merge key): applied after the explicit keys, which win.
        const value = pair.value as Node | null;
        merges.push({ node: value, label: `"<<" in ${owner}`, loc: value ? this.locOf(value, keyLoc) : keyLoc });
        return;
      }
      if (!keyNode || !isScalar(keyNode) || typeof keyNode.value !== 'string') {
        this.fail(keyLoc, `keys in ${owner} must be strings, got ${this.describe(keyNode)} (valid keys: ${valid.join(', ')})`);
      }
      const key = (keyNode as Scalar<string>).value;
      if (owner === 'the top level' && key.startsWith('x-')) return; // room for anchors, as in compose files
      if (!Object.hasOwn(rules, key)) {
        const hint = didYouMean(key, valid);
        const from = merged ? ` (merged in with "<<")` : '';
        this.fail(keyLoc, `unknown key "${key}" in ${owner}${from}${hint || ` (valid keys: ${valid.join(', ')})`}`);
      }
      if (merged && found.has(key)) return;
      const value = pair.value as Node | null;
      found.set(key, { node: value, label: `"${key}" in ${owner}`, loc: value ? this.locOf(value, keyLoc) : keyLoc });
    };
    for (const pair of map.items) add(pair, map, false);
    // Each mapping is merged at most once (a mapping merged again adds nothing:
    // earlier keys win), so nested `<<: [*a, *a]` chains cost their size, not 2^depth.
    const merged = new Set<Node>([map]);
    for (let i = 0; i < merges.length; i++) {
      const m = merges[i]!;
      const node = this.deref(m.node);
      const sources = node && isSeq(node) ? node.items.map((n) => this.deref(n as Node | null)) : [node];
      for (const src of sources) {
        if (!src || !isMap(src)) {
          this.fail(m.loc, `${m.label} must merge a mapping or a list of mappings (e.g. <<: *defaults), got ${this.describe(src)}`);
        }
        if (merged.has(src)) continue;
        merged.add(src);
        this.grow('merge', m.loc, (src as YAMLMap).items.length, `the merge keys (<<) of ${owner}`);
        for (const pair of (src as YAMLMap).items) add(pair, src as YAMLMap, true);
      }
    }
    for (const [key, rule] of Object.entries(rules)) {
      if (rule.required && !found.has(key)) {
        this.fail(this.locOf(map, v.loc), `${owner} is missing required key "${key}" (${rule.hint})`);
      }
    }
    return { map, get: (key) => found.get(key) };
  }

  str(v: Val, opts: { nonEmpty?: boolean; numbers?: boolean } = {}): string {
    const node = this.deref(v.node);
    let s: string | undefined;
    if (node && isScalar(node)) {
      if (typeof node.value === 'string') s = node.value;
      // Plain numbers keep their spelling: `version: 3.10` is "3.10", not "3.1".
      else if (opts.numbers && typeof node.value === 'number') s = node.source ?? String(node.value);
    }
    if (s === undefined) {
      const quote = node && isScalar(node) && node.value !== null ? '; quote it' : '';
      this.fail(v.loc, `${v.label} must be a string, got ${this.describe(node)}${quote}`);
    }
    if (opts.nonEmpty && s.trim() === '') this.fail(v.loc, `${v.label} must not be empty`);
    return s;
  }

  num(v: Val, opts: { integer?: boolean; min?: number; max?: number; positive?: boolean; unit: string }): number {
    const node = this.deref(v.node);
    const value = node && isScalar(node) ? node.value : undefined;
    const shown = node && isScalar(node) ? (node.source ?? String(value)) : '';
    const kind = opts.integer ? 'an integer' : 'a number';
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(v.loc, `${v.label} must be ${kind} (${opts.unit}), got ${this.describe(node)}`);
    }
    if (opts.integer && !Number.isInteger(value)) {
      this.fail(v.loc, `${v.label} must be a whole number (${opts.unit}), got ${shown}`);
    }
    if (opts.positive && value <= 0) {
      this.fail(v.loc, `${v.label} must be greater than 0 (${opts.unit}), got ${shown}`);
    }
    if (opts.min !== undefined && value < opts.min) {
      this.fail(v.loc, `${v.label} must be at least ${opts.min}, got ${shown}`);
    }
    if (opts.max !== undefined && value > opts.max) {
      this.fail(v.loc, `${v.label} must be at most ${opts.max} (${opts.unit}), got ${shown}`);
    }
    return value;
  }

  flag(v: Val | undefined): boolean {
    if (!v) return false;
    const node = this.deref(v.node);
    if (!node || !isScalar(node) || typeof node.value !== 'boolean') this.fail(v.loc, `${v.label} must be true or false, got ${this.describe(node)}`);
    return (node as Scalar<boolean>).value;
  }

  oneOf<T extends string>(v: Val, values: readonly T[]): T {
    const node = this.deref(v.node);
    const s = node && isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
    if (s === undefined) {
      this.fail(v.loc, `${v.label} must be one of ${values.join(', ')}, got ${this.describe(node)}`);
    }
    if (!(values as readonly string[]).includes(s)) {
      this.fail(v.loc, `${v.label} has invalid value "${s}"${didYouMean(s, values)} (valid: ${values.join(', ')})`);
    }
    return s as T;
  }

  list<T>(v: Val, read: (item: Val, index: number) => T, what = 'a list'): T[] {
    const node = this.deref(v.node);
    if (!node || !isSeq(node)) {
      const hint = node && isScalar(node) && typeof node.value === 'string' ? `; write [${node.value}]` : '';
      const empty = !node || (isScalar(node) && node.value === null) ? '; write [] for none' : '';
      this.fail(v.loc, `${v.label} must be ${what}, got ${this.describe(node)}${hint || empty}`);
    }
    return node.items.map((item, i) => {
      const itemNode = item as Node | null;
      return read({ node: itemNode, label: `item ${i + 1} of ${v.label}`, loc: itemNode ? this.locOf(itemNode, this.locOf(node)) : this.locOf(node) }, i);
    });
  }

  strList(v: Val | undefined, opts: { numbers?: boolean; nonEmpty?: boolean } = {}): string[] {
    if (!v) return [];
    return this.list(v, (item) => this.str(item, opts), 'a list of strings');
  }

  /**
   * A `{word}` that is not a placeholder but looks like a misspelt one is an
   * error; other braces (`awk '{print}'`, `{}`) are left alone.
   */
  placeholders(v: Val, s: string, allowed: readonly string[]): void {
    for (const m of s.matchAll(/\{([A-Za-z_]+)\}/g)) {
      const name = m[1]!;
      if (allowed.includes(name)) continue;
      const list = `(placeholders: ${allowed.map((p) => `{${p}}`).join(', ')})`;
      if (ARGV_PLACEHOLDERS.includes(name)) {
        this.fail(v.loc, `${v.label} uses placeholder "{${name}}", which is not available here ${list}`);
      }
      const near = didYouMean(name, allowed);
      if (near) this.fail(v.loc, `${v.label} uses unknown placeholder "{${name}}"${near} ${list}`);
    }
  }

  /** argv: a non-empty list whose first item (the program) is non-empty. */
  argv(v: Val, allowed: readonly string[] = ARGV_PLACEHOLDERS): string[] {
    const argv = this.list(
      v,
      (item) => {
        const s = this.str(item, { numbers: true });
        this.placeholders(item, s, allowed);
        return s;
      },
      'a list of strings (argv), e.g. [bin/tests, --quick]',
    );
    if (argv.length === 0) this.fail(v.loc, `${v.label} must not be empty: give at least the program to run`);
    if (argv[0]!.trim() === '') this.fail(v.loc, `${v.label} has an empty program name (its first item)`);
    return argv;
  }

  // --- the matrix ----------------------------------------------------------

  matrix(): MatrixConfig {
    const contents = this.doc.contents as Node | null;
    const empty = !contents || (isScalar(contents) && contents.value === null);
    if (empty) {
      this.fail(
        this.at(0),
        `the matrix file is empty; it needs "version: ${MATRIX_VERSION}", "architectures", "toolchains" and "targets"`,
      );
    }
    const top = this.fields(
      { node: contents, label: 'the top level of the matrix file', loc: this.locOf(contents) },
      'the top level',
      TOP_KEYS,
      `a mapping (${Object.keys(TOP_KEYS).join(', ')})`,
    );

    const versionVal = top.get('version')!;
    const version = this.num(versionVal, { integer: true, unit: 'the matrix format version' });
    if (version !== MATRIX_VERSION) {
      this.fail(versionVal.loc, `unsupported matrix version ${version}; this tool reads version ${MATRIX_VERSION}`);
    }

    const defaults = this.defaults(top.get('defaults'));
    const toolchains = this.toolchains(top.get('toolchains')!);
    const architectures = this.architectures(
      top.get('architectures')!,
      toolchains.map((t) => t.name),
    );
    const targets = this.targets(top.get('targets')!);
    const cmakeTarget = targets.find((t) => t.build === 'cmake');
    const bare = toolchains.find((t) => !t.cmakeToolchain);
    if (cmakeTarget && bare) {
      this.fail(bare.location, `toolchain "${bare.name}" has no "cmake_toolchain", which target "${cmakeTarget.name}" (build: cmake) needs; add e.g. cmake_toolchain: toolchains/${bare.kind}.cmake`);
    }
    const expectations = this.expectations(top.get('expectations'), architectures, toolchains, targets);
    const profiles = this.profiles(top.get('profiles'), architectures, toolchains);
    this.stageProfiles(targets, Object.keys(profiles));

    return { file: this.file, root: path.dirname(this.file), version, defaults, architectures, toolchains, targets, expectations, profiles };
  }

  /** A stage's `profiles` must name profiles the file defines (a typo would drop the stage everywhere). */
  stageProfiles(targets: TargetSpec[], known: string[]): void {
    for (const target of targets) {
      for (const stage of target.stages) {
        const unknown = stage.profiles?.find((p) => !known.includes(p));
        if (unknown === undefined) continue;
        const defined = known.length ? `known: ${known.join(', ')}` : 'the file defines no "profiles"';
        this.fail(stage.location, `stage "${stage.name}" of target "${target.name}" names unknown profile "${unknown}"${didYouMean(unknown, known)} (${defined})`);
      }
    }
  }

  profiles(v: Val | undefined, arches: ArchSpec[], toolchains: ToolchainSpec[]): Record<string, Profile> {
    const out: Record<string, Profile> = {};
    if (!v) return out;
    const archNames = arches.map((a) => a.name);
    const toolchainNames = toolchains.map((t) => t.name);
    for (const e of this.named(v, 'a mapping of profile name -> { versions, variants, architectures, toolchains }', 'profile')) {
      const owner = `profile "${e.name}"`;
      const f = this.fields(e.value, owner, PROFILE_KEYS);
      const names = (key: 'architectures' | 'toolchains', known: string[]): string[] | undefined => {
        const val = f.get(key);
        if (!val) return undefined;
        return this.list(
          { ...val, label: `"${key}" of ${owner}` },
          (item) => {
            const name = this.str(item, { nonEmpty: true });
            if (!known.includes(name)) this.fail(item.loc, `${owner} names unknown ${key === 'architectures' ? 'architecture' : 'toolchain'} "${name}"${didYouMean(name, known)}`);
            return name;
          },
          'a list of names',
        );
      };
      const flag = (key: string) => {
        const val = f.get(key);
        return val ? this.flag({ ...val, label: `"${key}" of ${owner}` }) : false;
      };
      const architectures = names('architectures', archNames);
      const toolchainList = names('toolchains', toolchainNames);
      out[e.name] = {
        versions: flag('versions'),
        variants: flag('variants'),
        ...(architectures ? { architectures } : {}),
        ...(toolchainList ? { toolchains: toolchainList } : {}),
        location: e.keyLoc,
      };
    }
    return out;
  }

  defaults(v: Val | undefined): MatrixDefaults {
    if (!v) return { ...DEFAULTS, timeoutFactor: { ...DEFAULTS.timeoutFactor } };
    const f = this.fields(v, '"defaults"', DEFAULTS_KEYS);
    const factorVal = f.get('timeout_factor');
    const timeoutFactor = { ...DEFAULTS.timeoutFactor };
    if (factorVal) {
      const ff = this.fields({ ...factorVal, label: '"timeout_factor" in "defaults"' }, '"timeout_factor" in "defaults"', { native: { hint: 'native runs' }, qemu: { hint: 'runs under qemu' } });
      for (const kind of ['native', 'qemu'] as const) {
        const one = ff.get(kind);
        if (one) timeoutFactor[kind] = this.num(one, { positive: true, max: 1000, unit: 'a multiplier of time limits' });
      }
    }
    const timeout = f.get('timeout');
    const retries = f.get('retries');
    const logLimit = f.get('log_limit');
    const second = f.get('second_opinion');
    return {
      timeoutFactor,
      secondOpinion: second ? this.flag({ ...second, label: '"second_opinion" in "defaults"' }) : DEFAULTS.secondOpinion,
      timeout: timeout ? this.num(timeout, { positive: true, max: MAX_TIMEOUT_S, unit: 'seconds' }) : DEFAULTS.timeout,
      retries: retries ? this.num(retries, { integer: true, min: 0, unit: 'reruns of a failed stage' }) : DEFAULTS.retries,
      logLimit: logLimit ? this.num(logLimit, { integer: true, positive: true, unit: 'bytes' }) : DEFAULTS.logLimit,
    };
  }

  /** A non-empty mapping of names; `plural` is used in the "none declared" message. */
  nonEmptyNamed(v: Val, kindName: string, plural: string, example: string): Entry[] {
    const entries = this.named(v, `a mapping of ${kindName} name -> settings`, kindName);
    if (entries.length === 0) {
      this.fail(v.loc, `no ${plural} declared; add at least one under "${plural}:", e.g. ${example}`);
    }
    return entries;
  }

  toolchains(v: Val): ToolchainSpec[] {
    return this.nonEmptyNamed(v, 'toolchain', 'toolchains', '"gcc: { kind: gcc, cmake_toolchain: toolchains/gcc.cmake }"').map(
      (e) => {
        const owner = `toolchain "${e.name}"`;
        const f = this.fields(e.value, owner, TOOLCHAIN_KEYS);
        const version = f.get('version');
        const linker = f.get('linker');
        const packages = f.get('packages');
        const spec: ToolchainSpec = {
          name: e.name,
          kind: this.oneOf(f.get('kind')!, TOOLCHAIN_KINDS),
          version: version ? this.str(version, { numbers: true }) : '',
          cmakeToolchain: f.get('cmake_toolchain') ? this.str(f.get('cmake_toolchain')!, { nonEmpty: true }) : '',
          linker: linker ? this.str(linker) : '',
          packages: packages ? this.list(packages, (item) => this.packageName(item), 'a list of strings') : [],
          location: e.keyLoc,
          ...(this.flag(f.get('allow_outside')) ? { allowOutside: true } : {}),
        };
        // `versions: [15, 16]`: one more toolchain per version, named <name>-<N> (clang-15, lld-15...).
        const versions = f.get('versions');
        const more = versions
          ? this.list({ ...versions, label: `"versions" of ${owner}` }, (item) => this.str(item, { numbers: true, nonEmpty: true }), 'a list of versions, e.g. [15, 16, 19]')
          : [];
        return [spec, ...more.map((n) => ({ ...spec, name: `${e.name}-${n}`, version: n, base: e.name }))];
      },
    ).flat();
  }

  packageName(v: Val): string {
    const s = this.str(v, { nonEmpty: true });
    for (const m of s.matchAll(/\{([^{}]*)\}/g)) {
      const name = m[1]!;
      if (!PACKAGE_PLACEHOLDERS.includes(name)) {
        this.fail(
          v.loc,
          `${v.label} uses unknown placeholder "{${name}}"${didYouMean(name, PACKAGE_PLACEHOLDERS)} (valid: ${PACKAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
        );
      }
    }
    return s;
  }

  architectures(v: Val, toolchainNames: string[]): ArchSpec[] {
    return this.nonEmptyNamed(v, 'architecture', 'architectures', '"x86_64: { triple: x86_64-linux-gnu, debian: amd64, qemu: qemu-x86_64, native_on: [x86_64] }"').map(
      (e) => {
        const owner = `architecture "${e.name}"`;
        const f = this.fields(e.value, owner, ARCH_KEYS);
        const interpreter = f.get('interpreter');
        const overrides = f.get('toolchains');
        const arch: ArchSpec = {
          name: e.name,
          triple: this.str(f.get('triple')!, { nonEmpty: true }),
          debian: this.str(f.get('debian')!, { nonEmpty: true }),
          nativeOn: this.strList(f.get('native_on'), { nonEmpty: true }),
          nativePackages: this.strList(f.get('native_packages'), { nonEmpty: true }),
          cflags: this.strList(f.get('cflags')),
          ldflags: this.strList(f.get('ldflags')),
          toolchains: overrides ? this.archOverrides(overrides, e.name, toolchainNames) : {},
          qemuArgs: [],
          env: {},
          location: e.keyLoc,
        };
        if (interpreter) arch.interpreter = this.str(interpreter, { nonEmpty: true });
        const qemu = f.get('qemu');
        if (qemu) {
          const binary = this.str(qemu, { nonEmpty: true }).trim();
          if (/\s/.test(binary)) {
            const [bin, ...args] = binary.split(/\s+/);
            this.fail(qemu.loc, `"qemu" of ${owner} names one binary; put its arguments in qemu_args: qemu: ${bin}, qemu_args: [${args.join(', ')}]`);
          }
          arch.qemu = binary;
        }
        arch.qemuArgs = this.strList(f.get('qemu_args'), { nonEmpty: true });
        const env = f.get('env');
        arch.env = env ? this.envMap({ ...env, label: `"env" of ${owner}` }) : {};
        const bits = f.get('bits');
        if (bits) {
          const n = this.num({ ...bits, label: `"bits" of ${owner}` }, { integer: true, unit: 'pointer width' });
          if (n !== 32 && n !== 64) this.fail(bits.loc, `"bits" of ${owner} must be 32 or 64, got ${n}`);
          arch.bits = n;
        }
        const endian = f.get('endian');
        if (endian) arch.endian = this.oneOf({ ...endian, label: `"endian" of ${owner}` }, ENDIANS);
        const family = f.get('family');
        if (family) arch.family = this.str({ ...family, label: `"family" of ${owner}` }, { nonEmpty: true });
        const factor = f.get('timeout_factor');
        if (factor) arch.timeoutFactor = this.num({ ...factor, label: `"timeout_factor" of ${owner}` }, { positive: true, max: 1000, unit: 'a multiplier of time limits under qemu' });
        const cpuFamily = f.get('meson_cpu_family');
        if (cpuFamily) arch.mesonCpuFamily = this.str({ ...cpuFamily, label: `"meson_cpu_family" of ${owner}` }, { nonEmpty: true });
        const variants = f.get('variants');
        return [arch, ...(variants ? this.variants({ ...variants, label: `"variants" of ${owner}` }, arch) : [])];
      },
    ).flat();
  }

  /** CPU variants of an arch: each an arch <arch>-<variant> with its flags, qemu CPU and the features a native run needs. */
  variants(v: Val, base: ArchSpec): ArchSpec[] {
    return this.named(v, 'a mapping of variant name -> { cflags, ldflags, cpu, needs }', 'variant').map((e) => {
      const owner = `variant "${e.name}" of architecture "${base.name}"`;
      const f = this.fields(e.value, owner, VARIANT_KEYS);
      const name = `${base.name}-${e.name}`;
      if (name.length > MAX_NAME_LENGTH) this.fail(e.keyLoc, `${owner} makes the architecture name "${name}", longer than ${MAX_NAME_LENGTH} characters`);
      const cpu = f.get('cpu');
      const qemuArgs = [...base.qemuArgs];
      const at = qemuArgs.indexOf('-cpu');
      if (at >= 0) qemuArgs.splice(at, 2);
      if (cpu) qemuArgs.push('-cpu', this.str({ ...cpu, label: `"cpu" of ${owner}` }, { nonEmpty: true }));
      const needs = this.strList(f.get('needs'), { nonEmpty: true });
      const lacks = this.strList(f.get('lacks'), { nonEmpty: true });
      const both = needs.find((n) => lacks.includes(n));
      if (both) this.fail(f.get('lacks')!.loc, `${owner} both needs and lacks "${both}"; keep it in one list`);
      return {
        ...base,
        name,
        variantFlags: { cflags: this.strList(f.get('cflags')), ldflags: this.strList(f.get('ldflags')) },
        qemuArgs,
        ...(needs.length ? { needs } : {}),
        ...(lacks.length ? { lacks } : {}),
        variantOf: { arch: base.name, variant: e.name },
        location: e.keyLoc,
      };
    });
  }

  archOverrides(v: Val, arch: string, toolchainNames: string[]): Record<string, ArchToolchainOverride> {
    const out: Record<string, ArchToolchainOverride> = {};
    for (const e of this.named(v, 'a mapping of toolchain name -> { cflags, ldflags, linker }', 'toolchain')) {
      if (!toolchainNames.includes(e.name)) {
        this.fail(
          e.keyLoc,
          `architecture "${arch}" overrides unknown toolchain "${e.name}"${didYouMean(e.name, toolchainNames)} (known: ${toolchainNames.join(', ')})`,
        );
      }
      const owner = `toolchain override "${e.name}" of architecture "${arch}"`;
      const f = this.fields(e.value, owner, ARCH_TOOLCHAIN_KEYS);
      const linker = f.get('linker');
      const o: ArchToolchainOverride = { cflags: this.strList(f.get('cflags')), ldflags: this.strList(f.get('ldflags')) };
      if (linker) o.linker = this.str(linker, { nonEmpty: true });
      out[e.name] = o;
    }
    return out;
  }

  targets(v: Val): TargetSpec[] {
    return this.nonEmptyNamed(v, 'target', 'targets', '"native: { build: cmake, source: native, stages: [] }"').map((e) => {
      const owner = `target "${e.name}"`;
      const f = this.fields(e.value, owner, TARGET_KEYS);
      const prepare = f.get('prepare');
      const target: TargetSpec = {
        name: e.name,
        build: this.oneOf(f.get('build')!, BUILD_SYSTEMS),
        source: this.str(f.get('source')!, { nonEmpty: true }),
        configureArgs: this.configureArgs(f.get('configure_args')),
        buildTargets: this.configureArgs(f.get('build_targets')),
        inputs: this.strList(f.get('inputs'), { nonEmpty: true }),
        stages: this.stages(f.get('stages')!, e.name),
        location: e.keyLoc,
        ...(this.flag(f.get('allow_outside')) ? { allowOutside: true } : {}),
      };
      const knownFlaky = f.get('known_flaky');
      if (knownFlaky && this.flag({ ...knownFlaky, label: `"known_flaky" in ${owner}` })) target.knownFlaky = true;
      const makefile = f.get('makefile');
      if (makefile) target.makefile = this.str({ ...makefile, label: `"makefile" in ${owner}` }, { nonEmpty: true });
      const keepGoing = f.get('keep_going');
      if (keepGoing && this.flag({ ...keepGoing, label: `"keep_going" in ${owner}` })) target.keepGoing = true;
      const makeVars = f.get('make_vars');
      if (makeVars) {
        if (target.build !== 'make') this.fail(makeVars.loc, `"make_vars" in ${owner} is only used with "build: make" (this target is built with ${target.build}; use configure_args)`);
        target.makeVars = this.makeVars({ ...makeVars, label: `"make_vars" in ${owner}` });
      }
      const inTree = f.get('in_tree');
      if (inTree && this.flag({ ...inTree, label: `"in_tree" in ${owner}` })) {
        if (target.build !== 'make' && target.build !== 'autotools') this.fail(inTree.loc, `"in_tree" in ${owner} is only used with "build: make" or "build: autotools" (${target.build} builds out of tree)`);
        target.inTree = true;
      }
      const firstError = f.get('first_error');
      if (firstError) {
        const pattern = this.str({ ...firstError, label: `"first_error" in ${owner}` }, { nonEmpty: true });
        try {
          new RegExp(pattern);
        } catch (error) {
          this.fail(firstError.loc, `"first_error" in ${owner} is not a valid regular expression: ${(error as Error).message}`);
        }
        target.firstError = pattern;
      }
      if (prepare) {
        const pf = this.fields(prepare, `"prepare" of ${owner}`, PREPARE_KEYS);
        const outputs = pf.get('outputs');
        target.prepare = { command: this.argv(pf.get('command')!, PREPARE_PLACEHOLDERS) };
        if (outputs) target.prepare.outputs = this.strList(outputs, { nonEmpty: true });
      }
      return target;
    });
  }

  /** make variables: names to templates with the argv placeholders. */
  makeVars(v: Val): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.named(v, 'a mapping of make variable -> value, e.g. { ARCH: "{arch}" }', 'make variable')) {
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(e.name)) this.fail(e.keyLoc, `${v.label}: "${e.name}" is not a make variable name`);
      const item = { ...e.value, label: `${v.label}: ${e.name}` };
      const s = this.str(item, { numbers: true });
      this.placeholders(item, s, ARGV_PLACEHOLDERS);
      out[e.name] = s;
    }
    return out;
  }

  configureArgs(v: Val | undefined): string[] {
    if (!v) return [];
    return this.list(
      v,
      (item) => {
        const s = this.str(item, { numbers: true });
        this.placeholders(item, s, ARGV_PLACEHOLDERS);
        return s;
      },
      'a list of strings',
    );
  }

  stages(v: Val, target: string): RunStageSpec[] {
    const seen = new Map<string, { loc: SourceLocation; profiles?: string[] }>();
    return this.list(
      v,
      (item, i) => {
        // Name the stage in messages as soon as it has a usable name.
        const itemNode = this.deref(item.node);
        const peek: unknown = itemNode && isMap(itemNode) ? itemNode.get('name') : undefined;
        const label = typeof peek === 'string' && peek ? `stage "${peek}" of target "${target}"` : `stage #${i + 1} of target "${target}"`;
        const f = this.fields({ ...item, label }, label, STAGE_KEYS);
        const nameVal = f.get('name')!;
        const name = this.str(nameVal, { nonEmpty: true });
        if (name.length > MAX_NAME_LENGTH) {
          this.fail(nameVal.loc, `stage name "${name.slice(0, 20)}..." is ${name.length} characters; the limit is ${MAX_NAME_LENGTH} (stage names become log file names)`);
        }
        if (!NAME_RE.test(name)) {
          this.fail(nameVal.loc, `invalid stage name "${name}": use letters, digits, ".", "_" and "-", starting with a letter or digit`);
        }
        if (RESERVED_STAGE_NAMES.includes(name)) {
          this.fail(nameVal.loc, `stage name "${name}" in target "${target}" is reserved (${RESERVED_STAGE_NAMES.join(', ')}); pick another name`);
        }
        const owner = `stage "${name}" of target "${target}"`;
        const relabel = (key: string): Val | undefined => {
          const val = f.get(key);
          return val && { ...val, label: `"${key}" in ${owner}` };
        };
        const format = relabel('format');
        const where = relabel('where');
        const kind = relabel('kind');
        const timeout = relabel('timeout');
        const expectStdout = relabel('expect_stdout');
        const expectRegex = relabel('expect_stdout_regex');
        const expectExit = relabel('expect_exit');
        const junit = relabel('junit');
        const extras = relabel('extras');
        const stage: RunStageSpec = {
          name,
          kind: kind ? this.oneOf(kind, STAGE_KINDS) : 'test',
          command: this.argv(relabel('run')!),
          format: format ? this.oneOf(format, OUTPUT_FORMATS) : 'exit-code',
          where: where ? this.oneOf(where, RUN_WHERE) : 'any',
          location: this.locOf(f.map, item.loc),
        };
        if (timeout) stage.timeout = this.num(timeout, { positive: true, max: MAX_TIMEOUT_S, unit: 'seconds' });
        if (extras) stage.extras = this.oneOf(extras, EXTRAS_SECTIONS);
        const knownFlaky = relabel('known_flaky');
        if (knownFlaky && this.flag(knownFlaky)) stage.knownFlaky = true;
        const tty = relabel('tty');
        if (tty && this.flag(tty)) stage.tty = true;
        const driver = relabel('driver');
        if (driver && this.flag(driver)) stage.driver = true;
        const builds = relabel('builds');
        if (builds) stage.builds = this.strList(builds, { nonEmpty: true });
        const profiles = relabel('profiles');
        if (profiles) {
          stage.profiles = this.strList(profiles, { nonEmpty: true });
          if (stage.profiles.length === 0) this.fail(profiles.loc, `${profiles.label} is an empty list, so the stage never runs; omit "profiles" to run it in every profile`);
        }
        // One name may come twice when the two belong to different profiles (a quick and a nightly form of a stage).
        const first = seen.get(name);
        if (first) {
          const disjoint = first.profiles && stage.profiles && !first.profiles.some((p) => stage.profiles!.includes(p));
          if (!disjoint) {
            this.fail(nameVal.loc, `duplicate stage name "${name}" in target "${target}" (first at line ${first.loc.line}); stage names must be unique within a target, unless each names its own profiles`);
          }
        }
        seen.set(name, { loc: nameVal.loc, ...(stage.profiles ? { profiles: stage.profiles } : {}) });
        if (stage.format === 'expect') {
          if (!expectStdout && !expectRegex) {
            this.fail(stage.location, `${owner} has format expect but no "expect_stdout" or "expect_stdout_regex"; add the exact output it must print, or a regex it must match`);
          }
          if (expectStdout && expectRegex) this.fail(expectRegex.loc, `${owner} has both "expect_stdout" and "expect_stdout_regex"; keep one`);
          if (expectStdout) stage.expectStdout = this.str(expectStdout, { numbers: true }).trim();
          if (expectRegex) {
            const pattern = this.str(expectRegex, { nonEmpty: true });
            try {
              new RegExp(pattern, 'm');
            } catch (error) {
              this.fail(expectRegex.loc, `${expectRegex.label} is not a valid regular expression: ${(error as Error).message}`);
            }
            stage.expectStdoutRegex = pattern;
          }
        } else if (expectStdout ?? expectRegex) {
          const val = (expectStdout ?? expectRegex)!;
          this.fail(val.loc, `${val.label.replace(/ in .*/, '')} in ${owner} is only used with "format: expect" (this stage's format is ${stage.format})`);
        }
        if (expectExit) {
          if (stage.format !== 'expect' && stage.format !== 'exit-code') this.fail(expectExit.loc, `"expect_exit" in ${owner} is only used with formats exit-code and expect (this stage's format is ${stage.format})`);
          stage.expectExit = this.num(expectExit, { integer: true, min: 0, max: 255, unit: 'an exit code' });
        }
        if (junit) {
          if (stage.format !== 'junit' && stage.format !== 'ctest') this.fail(junit.loc, `"junit" in ${owner} is only used with formats junit and ctest (this stage's format is ${stage.format})`);
          stage.junit = this.str(junit, { nonEmpty: true });
        } else if (stage.format === 'junit') {
          this.fail(stage.location, `${owner} has format junit but no "junit"; name the JUnit XML file it writes, relative to the build directory (e.g. junit: test-results.xml)`);
        }
        return stage;
      },
      'a list of stages ({ name, run, format })',
    );
  }

  expectations(v: Val | undefined, arches: ArchSpec[], toolchains: ToolchainSpec[], targets: TargetSpec[]): Expectation[] {
    if (!v) return [];
    const archNames = arches.map((a) => a.name);
    const toolchainNames = toolchains.map((t) => t.name);
    const targetNames = targets.map((t) => t.name);
    const out: Expectation[] = [];
    this.list(
      v,
      (item, i) => {
        const owner = `expectation #${i + 1}`;
        const f = this.fields({ ...item, label: owner }, owner, EXPECTATION_KEYS);
        const location = this.locOf(f.map, item.loc);
        const archs = this.names(f.get('arch'), 'arch', archNames);
        const tcs = this.names(f.get('toolchain'), 'toolchain', toolchainNames);
        const tgts = this.names(f.get('target'), 'target', targetNames);
        const status = this.oneOf(f.get('status')!, EXPECTATION_STATUSES);
        const reason = this.str(f.get('reason')!, { nonEmpty: true }).trim();
        const stageVal = f.get('stage');
        const stage = stageVal ? this.expectedStage(stageVal, tgts, targets) : undefined;
        const linkVal = f.get('link');
        const link = linkVal ? this.url(linkVal) : undefined;
        // A list matches any of its names: expand to one expectation per combination.
        this.grow('expectations', location, archs.length * tcs.length * tgts.length, 'the expectations');
        for (const arch of archs) {
          for (const toolchain of tcs) {
            for (const target of tgts) {
              const e: Expectation = { match: {}, status, reason, location };
              if (arch !== undefined) e.match.arch = arch;
              if (toolchain !== undefined) e.match.toolchain = toolchain;
              if (target !== undefined) e.match.target = target;
              if (stage !== undefined) e.stage = stage;
              if (link !== undefined) e.link = link;
              out.push(e);
            }
          }
        }
      },
      'a list of { arch, toolchain, target, status, reason }',
    );
    return out;
  }

  /** A name or a list of names, each known; `[undefined]` (any) when absent. */
  names(v: Val | undefined, field: string, known: string[]): (string | undefined)[] {
    if (!v) return [undefined];
    const node = this.deref(v.node);
    const items: Val[] = node && isSeq(node) ? this.list(v, (item) => item) : [v];
    if (items.length === 0) this.fail(v.loc, `${v.label} is an empty list, which matches nothing; omit "${field}" to match every ${field}`);
    const knownSet = new Set(known);
    return items.map((item) => {
      const itemNode = this.deref(item.node);
      if (!itemNode || !isScalar(itemNode) || typeof itemNode.value !== 'string') {
        this.fail(item.loc, `${item.label} must be a ${field} name or a list of them, got ${this.describe(itemNode)}`);
      }
      const name = (itemNode as Scalar<string>).value;
      if (name.includes('*')) {
        // A glob (`llvm*`) must match something, or it is a typo that matches nothing.
        if (!known.some((k) => nameMatches(name, k))) this.fail(item.loc, `expectation pattern "${name}" matches no ${field} (known: ${known.join(', ')})`);
        return name;
      }
      if (!knownSet.has(name)) {
        this.fail(item.loc, `expectation names unknown ${field} "${name}"${didYouMean(name, known)} (known: ${known.join(', ')})`);
      }
      return name;
    });
  }

  expectedStage(v: Val, tgts: (string | undefined)[], targets: TargetSpec[]): string {
    const name = this.str(v, { nonEmpty: true });
    const scope = tgts.includes(undefined) ? targets : targets.filter((t) => tgts.includes(t.name));
    const valid = [...BUILTIN_STAGES, ...new Set(scope.flatMap((t) => t.stages.map((s) => s.name)))];
    if (!valid.includes(name)) {
      const which = tgts.includes(undefined)
        ? 'which no target declares'
        : `which target ${scope.map((t) => `"${t.name}"`).join(' or ')} does not declare`;
      this.fail(v.loc, `expectation names stage "${name}", ${which}${didYouMean(name, valid)} (stages: ${valid.join(', ')})`);
    }
    return name;
  }

  /** A mapping of environment variable names to string values. */
  envMap(v: Val): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.named(v, 'a mapping of variable name -> value, e.g. { QEMU_CPU: max }', 'variable')) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)) this.fail(e.keyLoc, `${v.label}: "${e.name}" is not an environment variable name`);
      out[e.name] = this.str({ ...e.value, label: `${v.label}: ${e.name}` }, { numbers: true });
    }
    return out;
  }

  url(v: Val): string {
    const s = this.str(v, { nonEmpty: true }).trim();
    let ok = false;
    try {
      const u = new URL(s);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    // Or evidence kept in the repository: a file beside matrix.yaml (an anchor may follow).
    if (!ok && !/^[/.]/.test(s) && !s.includes('..')) ok = existsSync(path.join(path.dirname(this.file), s.split('#')[0]!));
    if (!ok) this.fail(v.loc, `${v.label} must be an http(s) URL, got "${s}"`);
    return s;
  }
}

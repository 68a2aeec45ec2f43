// User-facing failures. These print as `E: <file:line:col>: message` without a
// stack; anything else that escapes is a bug and prints with its stack.
/** Where a value came from in matrix.yaml, for error messages and reports. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type ErrorCode =
  | 'CONFIG_SYNTAX'
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'USAGE'
  | 'RESULTS_NOT_FOUND'
  | 'RESULTS_INVALID'
  | 'NOT_ROOT'
  | 'IO';

export class OrchestratorError extends Error {
  readonly code: ErrorCode;
  readonly location?: SourceLocation;
  /** Process exit code for this failure. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { location?: SourceLocation; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchestratorError';
    this.code = code;
    this.location = options.location;
    this.exitCode = options.exitCode ?? 2;
  }

  /** `file:line:col: message` (or just the message). */
  format(): string {
    const loc = this.location;
    return loc ? `${loc.file}:${loc.line}:${loc.column}: ${this.message}` : this.message;
  }
}

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  internal: 3,
  /** Stopped by SIGINT (other stop signals: 128 + their number, see cli/signals.ts). */
  interrupted: 130,
} as const;

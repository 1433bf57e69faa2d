/**
 * Progress reporting for the build library, which never prints: every step start/end, timing and
 * snarkjs log line goes to the caller's `onProgress` callback (the Hardhat task prints them).
 */

export type BuildStep =
  | "registry"
  | "compile"
  | "constraints"
  | "ptau"
  | "zkey-new"
  | "zkey-contribute"
  | "zkey-beacon"
  | "zkey-verify"
  | "plonk-setup"
  | "export-vkey"
  | "export-verifier"
  | "manifest";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type BuildEvent =
  | {
      type: "step-start";
      circuit: string | null;
      step: BuildStep;
      /** What the step does, in words (e.g. "circom2 --O2 ... on circuits/zkvm/zkvm.circom"). */
      detail: string;
      /** The file the step is about to produce or check, when there is one. */
      artifact?: string;
    }
  | {
      type: "step-end";
      circuit: string | null;
      step: BuildStep;
      /** Wall time of the step in milliseconds (0 for a cache hit). */
      ms: number;
      /** True when the step was skipped because its inputs and outputs were unchanged. */
      cached: boolean;
      detail: string;
    }
  | { type: "log"; circuit: string | null; step: BuildStep; level: LogLevel; message: string };

export type ProgressCallback = (event: BuildEvent) => void;

/** The logger interface snarkjs functions accept. */
export interface SnarkjsLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/**
 * Forwards snarkjs log calls to `emit` and remembers the last error line, because several snarkjs
 * functions report failure by logging an error and returning -1 instead of throwing.
 */
export class StepLogger implements SnarkjsLogger {
  lastError: string | undefined;

  constructor(
    private readonly emit: ProgressCallback,
    private readonly circuit: string | null,
    private readonly step: BuildStep,
  ) {}

  private log(level: LogLevel, args: unknown[]): void {
    const message = args.map((a) => (typeof a === "string" ? a : String(a))).join(" ");
    if (level === "error") this.lastError = message;
    this.emit({ type: "log", circuit: this.circuit, step: this.step, level, message });
  }

  debug(...args: unknown[]): void {
    this.log("debug", args);
  }
  info(...args: unknown[]): void {
    this.log("info", args);
  }
  warn(...args: unknown[]): void {
    this.log("warn", args);
  }
  error(...args: unknown[]): void {
    this.log("error", args);
  }
}

/** Error raised by the build; `circuit` and `step` say where it stopped. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly circuit: string | null = null,
    readonly step: BuildStep | null = null,
  ) {
    super(message);
    this.name = "BuildError";
  }
}

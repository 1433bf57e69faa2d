/**
 * The one error base class of the project: a stable `code` a script can switch on, the message (what was
 * wrong) and a `hint` (what to do). The CLI prints `error <code>: <message>` and the hint once.
 */
export class ZklaError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad command-line argument or option value: the CLI exits with code 2. */
export class UsageError extends ZklaError {
  constructor(message: string, hint?: string) {
    super("bad-argument", message, hint);
  }
}

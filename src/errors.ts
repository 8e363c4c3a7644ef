/**
 * The three kinds of failure fleet distinguishes; the CLI maps each to one exit code.
 * A UsageError is the user's input; an ExternalError is the world (a host, the network);
 * anything else is fleet's own bug.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

export class ExternalError extends Error {
  override name = 'ExternalError';
}

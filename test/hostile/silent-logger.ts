import type { Logger } from '../../plugin/types.js';

/**
 * Discards every line. The test host's default logger keeps all lines for assertions, which in a
 * memory measurement over thousands of refused requests would be the test's own growth.
 */
export function silentLogger(): Logger {
  const discard = () => undefined;
  const logger: Logger = { debug: discard, info: discard, warn: discard, error: discard, child: () => logger };
  return logger;
}

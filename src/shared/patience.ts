/**
 * Runs `attempt` until it succeeds, waiting 250 ms, then twice as long each time up to 5 s, and
 * rethrows its last failure once `timeoutMs` would pass: how a starting process waits for a
 * dependency that is restarting or not up yet.
 */
export async function withPatience<T>(timeoutMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * A Lambda's composition, built on its first invocation and kept for the container's life. A failed
 * start (an unreadable secret, a missing variable) is not kept: the next invocation tries again.
 */
export function startOnce<T>(build: () => T | Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => {
    if (!started) {
      const attempt = Promise.resolve().then(build);
      started = attempt;
      attempt.catch(() => {
        if (started === attempt) started = undefined;
      });
    }
    return started;
  };
}

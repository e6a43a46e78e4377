/**
 * A collection's index builds, started at once and awaited by its writes (`await ready()`). A
 * failed build (the database away at start, or the connection closed by a shutdown before it
 * ended) is never an unhandled rejection, which would end the process, and the next write starts
 * it again.
 */
export function indexBuilds(build: () => Promise<unknown>): () => Promise<void> {
  let building: Promise<unknown> | undefined;
  const start = () => {
    const started = build();
    started.catch(() => { if (building === started) building = undefined; });
    building = started;
    return started;
  };
  start();
  return async () => { await (building ?? start()); };
}

/**
 * A sleep that a wake() ends early; a wake() while nobody sleeps makes the next sleep return at
 * once. Pollers use it so that work queued on the same instance starts without waiting a poll.
 */
export function createWakeup() {
  let pending = false;
  let current: (() => void) | undefined;
  return {
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          current = undefined;
          resolve();
        }
        current = done;
      });
    },
    wake(): void {
      if (current) current();
      else pending = true;
    },
  };
}

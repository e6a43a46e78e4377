// A bounded wait: shutdowns give in-flight work a grace, then go on without it.

/** Whether `work` ended within `ms`: its failure within them is thrown; a later one is dropped, the shutdown having moved on. */
export async function finishedWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), Math.max(0, ms)); });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // no unhandled rejection when it fails after the deadline
  }
}

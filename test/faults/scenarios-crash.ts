import { failures, latencyLine, ms, requestFigures, seconds, signInFigures, startedIn } from './figures.ts';
import { check, type Scenario, type ScenarioContext } from './scenario.ts';
import { signal, waitUntilReady, type Instance } from './cluster.ts';
import { sleep, until } from './settle.ts';

interface HeldJob { _id: unknown; hook: string; user_id: string; lease_until: Date; attempts: number }

/**
 * The instance's running jobs claimed within the last `freshMs` (a claim sets updated_at): with the
 * providers answering in 800 ms, such a job is still mid-call when the kill lands. An older one may
 * finish between this read and the kill (a CI run once held only such a job: nothing to take over).
 */
const freshlyClaimedJobsOf = (context: ScenarioContext, instance: Instance, freshMs = 300) => context.suite.mongo.db!.collection<HeldJob>('hook_jobs')
  .find({ state: 'running', worker: { $regex: `^[^:]+:${instance.pid()}:` }, updated_at: { $gte: new Date(Date.now() - freshMs) } }).toArray();

/** A password user's address is verified by its mailed link alone (the suite's shoppers confirm no other way). */
const ofConfirmedAddress = (job: HeldJob) => job.hook === 'fullcontact' && job.user_id.startsWith('auth0|');

/**
 * kill -9 of one of three instances while shoppers sign in and its hook worker holds jobs. What
 * fails must be what was in flight on it; its shoppers retry and finish; its jobs are taken over
 * once their lease runs out (never before); the restarted instance rejoins the rotation.
 */
export const killNine: Scenario = {
  name: 'kill-9',
  title: 'kill -9 of one instance of three',
  async run(context) {
    const { suite, history, durations } = context;
    const victim = suite.instances[1]!;
    const start = Date.now();
    await sleep(durations.baseMs);
    // FullContact and X take their time: the victim's worker is mid-call when it dies.
    suite.fullcontact.delayMs = 800;
    suite.x.delayMs = 800;
    // Among them a FullContact look-up of a password shopper's address, which only a confirmed link
    // verifies: the audit then shows that enrichment done once (a repeat only for this crash).
    const held = await until('the victim to hold a FullContact look-up of a confirmed address mid-call', async () => {
      const jobs = await freshlyClaimedJobsOf(context, victim);
      return jobs.some(ofConfirmedAddress) && jobs;
    }, 30_000, 50);
    const killedAt = Date.now();
    await signal(victim, 'SIGKILL');
    // In flight on it: sent to it before its death was complete (the kernel may still accept a
    // connection into the dying listener's backlog and reset it a moment later), and not answered before the kill.
    const exitedAt = Date.now();
    const inFlight = new Set(suite.balancer.log.filter((r) => r.upstream === victim.name && r.start <= exitedAt && (r.end === undefined || r.end >= killedAt)).map((r) => r.id));
    for (const job of held) context.crash.jobIds.add(String(job._id));

    const jobs = suite.mongo.db!.collection<{ _id: unknown; state: string; attempts: number }>('hook_jobs');
    // A takeover is another worker's claim, which counts an attempt. A job that left `running` with
    // its attempts unchanged was finished by the victim between the read above and the kill: it was
    // not held when the victim died (a CI run once counted one as taken over 4.9 s early).
    const attemptsHeld = new Map(held.map((job) => [String(job._id), job.attempts]));
    const takenOver = new Map<string, number>();
    const finishedByVictim = new Set<string>();
    const watching = until('every held job to be taken over', async () => {
      for (const job of await jobs.find({ _id: { $in: held.map((j) => j._id) } }).toArray()) {
        const id = String(job._id);
        if (takenOver.has(id) || finishedByVictim.has(id)) continue;
        if (job.attempts > attemptsHeld.get(id)!) takenOver.set(id, Date.now());
        else if (job.state !== 'running') finishedByVictim.add(id);
      }
      return takenOver.size + finishedByVictim.size === held.length;
    }, 60_000, 50);
    await until('the balancer to drop the victim', () => !suite.balancer.isHealthy(victim.name), 10_000, 50);
    await watching;
    suite.fullcontact.delayMs = 0;
    suite.x.delayMs = 0;
    const restartAt = Date.now();
    await (victim as Instance & { start(): Promise<void> }).start();
    const rejoinedAt = Date.now();
    const servedAgain = () => suite.balancer.log.filter((r) => r.upstream === victim.name && r.start > rejoinedAt && r.status! < 500).length;
    await until('the balancer to send the restarted instance requests', servedAgain, 30_000).catch(() => 0);
    await sleep(durations.tailMs);
    const end = Date.now();
    await context.stopLoad();

    const window = startedIn(history.attempts, killedAt - 30_000, end);
    const failed = failures(window);
    const lastStep = (a: (typeof failed)[number]) => a.steps.at(-1);
    const unexplained = failed.filter((a) => !(lastStep(a)?.upstream === victim.name && inFlight.has(lastStep(a)?.requestId ?? -1)));
    const finishedLater = failed.filter((a) => history.attempts.some((b) => b.shopper === a.shopper && b.ok && b.start > a.start));
    const takenOverJobs = held.filter((job) => takenOver.has(String(job._id)));
    const afterLease = takenOverJobs.map((job) => takenOver.get(String(job._id))! - job.lease_until.getTime());
    const early = afterLease.filter((msAfter) => msAfter < 0);
    return {
      windows: [{ label: 'baseline', from: start, to: killedAt }, { label: 'after the kill', from: killedAt, to: rejoinedAt }, { label: 'rejoined', from: rejoinedAt, to: end }],
      figures: {
        ...requestFigures(suite.balancer.log, start, end),
        ...signInFigures(history.attempts, start, end),
        'in flight on the victim at the kill': `${inFlight.size} requests (${seconds(exitedAt - killedAt)} from kill to exit)`,
        'hook jobs it held': `${held.length} (${finishedByVictim.size} finished by it before it died; ${held.filter(ofConfirmedAddress).length} FullContact look-ups of a password shopper's confirmed address)`,
        'taken over after lease expiry': takenOverJobs.length ? `${ms(Math.min(...afterLease))} – ${ms(Math.max(...afterLease))} (lease ${seconds(context.suite.settings.hookLeaseMs)})` : '–',
        'restart to ready': seconds(rejoinedAt - restartAt),
        latency: latencyLine(history.attempts, [{ label: 'baseline', from: start, to: killedAt }, { label: 'fault', from: killedAt, to: rejoinedAt }]),
      },
      checks: [
        check('failed sign-ins ≤ requests in flight on the killed instance', failed.length <= inFlight.size, `${failed.length} failed, ${inFlight.size} in flight`),
        check('every failed sign-in failed on a request in flight on the killed instance', unexplained.length === 0, unexplained.map((a) => `${a.reason} at ${lastStep(a)?.path} via ${lastStep(a)?.upstream}`).join('; ') || 'all of them'),
        check('their shoppers retried and finished', finishedLater.length === failed.length, `${finishedLater.length}/${failed.length}`),
        check('held jobs were taken over only after their lease ran out', early.length === 0 && takenOverJobs.length > 0, `${takenOverJobs.length} jobs taken over, ${early.length} early`),
        check('the restarted instance rejoined the rotation', servedAgain() > 0, `${servedAgain()} requests answered by it since it was ready again, ${seconds(rejoinedAt - restartAt)} after its restart`),
      ],
    };
  },
};

/**
 * A rolling restart: SIGTERM to each instance in turn (it drains — readiness 503 while still
 * serving — then stops accepting, finishes in-flight work and exits 0), started again before the next.
 */
export const rollingRestart: Scenario = {
  name: 'rolling-restart',
  title: 'rolling restart: SIGTERM to each instance in turn',
  async run(context) {
    const { suite, history, durations } = context;
    const start = Date.now();
    await sleep(durations.baseMs);
    const faultFrom = Date.now();
    const exits: string[] = [];
    const stops: number[] = [];
    for (const instance of suite.instances) {
      const t = Date.now();
      const code = await signal(instance, 'SIGTERM');
      stops.push(Date.now() - t);
      exits.push(`${instance.name}:${code}`);
      await (instance as Instance & { start(): Promise<void> }).start();
      await until(`${instance.name} back in rotation`, () => suite.balancer.isHealthy(instance.name), 30_000, 50);
      await waitUntilReady(instance);
    }
    const faultTo = Date.now();
    await sleep(durations.tailMs);
    const end = Date.now();
    await context.stopLoad();
    const failed = failures(startedIn(history.attempts, start, end));
    return {
      windows: [{ label: 'baseline', from: start, to: faultFrom }, { label: 'restarting', from: faultFrom, to: faultTo }],
      figures: {
        ...requestFigures(suite.balancer.log, start, end),
        ...signInFigures(history.attempts, start, end),
        'SIGTERM to exit': stops.map(seconds).join(', '),
        latency: latencyLine(history.attempts, [{ label: 'baseline', from: start, to: faultFrom }, { label: 'restarting', from: faultFrom, to: faultTo }]),
      },
      checks: [
        check('every instance exited with code 0', exits.every((e) => e.endsWith(':0')), exits.join(' ')),
        check('no failed sign-in at all', failed.length === 0, failed.map((a) => `${a.reason} (${a.detail})`).slice(0, 3).join('; ') || `${startedIn(history.attempts, start, end).length} sign-ins`),
      ],
    };
  },
};

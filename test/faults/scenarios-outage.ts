import { foreignConnections } from './broker.ts';
import { hookAttemptsOverlapping } from './instance-logs.ts';
import { failures, latencyLine, ms, percentile, requestFigures, seconds, signInFigures, startedIn } from './figures.ts';
import { check, type Scenario } from './scenario.ts';
import { sleep, until } from './settle.ts';
import type { Suite } from './suite.ts';

const unsentEvents = (suite: Suite) => suite.mongo.db!.collection('event_outbox').countDocuments({ state: { $ne: 'sent' } }).catch(() => Number.NaN);

/** RabbitMQ away for `brokerMs`: sign-ins go on, events wait in MongoDB and all arrive afterwards. */
export const brokerOutage: Scenario = {
  name: 'broker',
  title: 'RabbitMQ stopped',
  async run({ suite, history, durations, stopLoad }) {
    const start = Date.now();
    await sleep(durations.baseMs);
    if (suite.broker.mode === 'stop-app') {
      const others = await foreignConnections([process.pid, ...suite.instances.map((i) => i.pid()!)]);
      if (others.length) console.log(`  note: stopping RabbitMQ also cuts ${others.length} connection(s) that are not the suite's (use --broker proxy on a shared machine)`);
    }
    const down = Date.now();
    await suite.broker.stop();
    let backlog = 0;
    while (Date.now() - down < durations.brokerMs) {
      backlog = Math.max(backlog, await unsentEvents(suite) || 0);
      await sleep(1_000);
    }
    await suite.broker.start();
    const up = Date.now();
    const drained = await until('the backlog to be published', async () => (await unsentEvents(suite)) === 0 && Date.now(), 120_000, 200);
    await sleep(durations.tailMs);
    const end = Date.now();
    await stopLoad();
    const failed = failures(startedIn(history.attempts, down, up));
    return {
      windows: [{ label: 'baseline', from: start, to: down }, { label: 'broker down', from: down, to: up }],
      figures: {
        ...requestFigures(suite.balancer.log, start, end),
        ...signInFigures(history.attempts, start, end),
        'broker down for': seconds(up - down),
        'events waiting at most': backlog,
        'backlog published after the broker returned': seconds(drained - up),
        latency: latencyLine(history.attempts, [{ label: 'baseline', from: start, to: down }, { label: 'broker down', from: down, to: up }]),
      },
      checks: [check('sign-ins unaffected: none failed while the broker was down', failed.length === 0, `${startedIn(history.attempts, down, up).length} sign-ins during the outage`)],
    };
  },
};

/**
 * The database stopped for `databaseMs` and started again on the same data file: readiness goes
 * red, requests get a 503 at once rather than hanging, and everything resumes without restarting
 * insole. The figure — the first successful sign-in within 5 s of the database answering —
 * is checked: from the launcher's READY line to the end of the first sign-in completed after it.
 */
export const databaseRestart: Scenario = {
  name: 'database',
  title: 'MongoDB stopped and restarted',
  async run({ suite, history, durations, crash, stopLoad }) {
    const start = Date.now();
    const pids = suite.instances.map((i) => i.pid());
    await sleep(durations.baseMs);
    const down = Date.now();
    await suite.db.stop();
    const red = await Promise.all(suite.instances.map((instance) => until(`${instance.name} readiness to go red`, async () => {
      const res = await fetch(`http://127.0.0.1:${instance.port}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 503 && Date.now();
    }, 30_000, 50)));
    await sleep(Math.max(0, durations.databaseMs - (Date.now() - down)));
    await suite.db.start();
    const up = Date.now();
    const first = await until('a sign-in to complete after the database returned', () => history.attempts.find((a) => a.ok && a.end! > up), 60_000, 20);
    const green = await Promise.all(suite.instances.map((instance) => until(`${instance.name} ready again`, async () => (await fetch(`http://127.0.0.1:${instance.port}/health/ready`)).status === 200 && Date.now(), 60_000, 50)));
    await sleep(durations.tailMs);
    const end = Date.now();
    await stopLoad();

    // A hook attempt that called its API and then lost the database cannot record that it did: its
    // job runs again and calls again (the APIs take no idempotency key). The audit accepts that repeat
    // for these jobs only, as it does for the jobs of a killed instance.
    const cut = await hookAttemptsOverlapping(suite, down, up);
    for (const jobId of cut) crash.jobIds.add(jobId);

    const allRed = Math.max(...red);
    const during = suite.balancer.log.filter((r) => r.start >= allRed && r.start < up - 2_000);
    const hung = during.filter((r) => r.end === undefined || r.end > up);
    const answers = during.filter((r) => r.end !== undefined).map((r) => r.end! - r.start);
    const statuses = new Map<number, number>();
    for (const r of during) statuses.set(r.status ?? 0, (statuses.get(r.status ?? 0) ?? 0) + 1);
    const recovery = first.end! - up;
    const serverErrors = suite.balancer.log.filter((r) => (r.end ?? Infinity) >= down && r.start < Math.max(...green) && r.status! >= 500 && r.status !== 503);
    return {
      windows: [{ label: 'baseline', from: start, to: down }, { label: 'database away', from: down, to: up }],
      figures: {
        ...requestFigures(suite.balancer.log, start, end),
        ...signInFigures(history.attempts, start, end),
        'readiness red after': red.map((t) => seconds(t - down)).join(', '),
        'answers while away (all red)': [...statuses].map(([s, n]) => `${s} ×${n}`).join(', '),
        'their latency p50 / p99 / max': `${ms(percentile(answers, 50))} / ${ms(percentile(answers, 99))} / ${ms(Math.max(...answers))}`,
        'first sign-in completed after the database answered': seconds(recovery),
        'readiness green after': green.map((t) => seconds(t - up)).join(', '),
        'hook jobs with an attempt in flight while it was away': cut.size,
      },
      checks: [
        check('readiness went red on every instance', red.length === suite.instances.length, red.map((t) => seconds(t - down)).join(', ')),
        check('no request waited for the database: each was answered before it came back', hung.length === 0, `${during.length} requests while it was away`),
        check('those answers were 503s, not errors', [...statuses.keys()].every((s) => s === 503), [...statuses].map(([s, n]) => `${s} ×${n}`).join(', ')),
        check('no other 5xx from the moment it stopped (requests in flight included) until every instance was ready again (a lost database is a 503)', serverErrors.length === 0,
          serverErrors.map((r) => `${r.status} ${r.method} ${r.path} via ${r.upstream}`).slice(0, 3).join('; ') || 'none'),
        check('recovery: first sign-in within 5 s of the database answering (issue figure)', recovery <= 5_000, seconds(recovery)),
        check('no instance was restarted', suite.instances.every((i, n) => i.pid() === pids[n]), 'same processes'),
      ],
    };
  },
};

/** FullContact and X fail (503 for one, hanging for the other, then swapped), then recover. */
export const apiOutage: Scenario = {
  name: 'apis',
  title: 'FullContact and X answering 503 or hanging',
  async run({ suite, history, durations, stopLoad }) {
    const start = Date.now();
    await sleep(durations.baseMs);
    const down = Date.now();
    const callsBefore = suite.fullcontact.calls.length + suite.x.calls.length;
    Object.assign(suite.fullcontact, { fault: '503' }); Object.assign(suite.x, { fault: 'hang' });
    await sleep(durations.apiPhaseMs);
    Object.assign(suite.fullcontact, { fault: 'hang' }); Object.assign(suite.x, { fault: '503' });
    await sleep(durations.apiPhaseMs);
    const waiting = await suite.mongo.db!.collection('hook_jobs').countDocuments({ state: { $in: ['pending', 'running'] } });
    const calls = suite.fullcontact.calls.length + suite.x.calls.length - callsBefore;
    Object.assign(suite.fullcontact, { fault: 'none' }); Object.assign(suite.x, { fault: 'none' });
    const up = Date.now();
    const caughtUp = await until('every job to be done', async () => (await suite.mongo.db!.collection('hook_jobs').countDocuments({ state: { $ne: 'done' } })) === 0 && Date.now(), 180_000, 200);
    await sleep(durations.tailMs);
    const end = Date.now();
    await stopLoad();
    const failed = failures(startedIn(history.attempts, down, up));
    return {
      windows: [{ label: 'baseline', from: start, to: down }, { label: 'APIs failing', from: down, to: up }],
      figures: {
        ...requestFigures(suite.balancer.log, start, end),
        ...signInFigures(history.attempts, start, end),
        'APIs failing for': seconds(up - down),
        'calls made to them meanwhile (retries)': calls,
        'jobs waiting when they recovered': waiting,
        'all jobs done after recovery': seconds(caughtUp - up),
        latency: latencyLine(history.attempts, [{ label: 'baseline', from: start, to: down }, { label: 'APIs failing', from: down, to: up }]),
      },
      checks: [check('sign-ins unaffected: none failed while the APIs failed', failed.length === 0, `${startedIn(history.attempts, down, up).length} sign-ins during the outage`)],
    };
  },
};


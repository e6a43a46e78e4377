import assert from 'node:assert/strict';
import { cli, cliWithStdoutClosed } from './support/cli-run.ts';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { segmentFilterFrom } from '../src/cli/report-params.ts';
import { PREORDER_SEGMENT_FILTER } from '../src/insight/segments/campaign-segments.ts';
import type { UserDoc } from '../src/users/user.model.ts';
import { testDatabaseUri } from './support/insole.ts';
import { csvRows } from './support/report-csv.ts';
import { expectedDormant, expectedSegmentUsers, expectedSentiment, isPreorderShopper } from './support/report-expected.ts';
import { FORMULA_NAMES, reportShoppers } from './support/report-shoppers.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);


const exists = (file: string) => access(file).then(() => true, () => false);

/** The issue's three campaigns, as the README gives them. */
const CAMPAIGNS = {
  preorder: ['report', 'segment', '--gender', 'male', '--age', '20-40', '--interest', 'fitness', '--format', 'csv'],
  winback: ['report', 'dormant', '--mode', 'never_returned', '--days', '14', '--format', 'csv'],
  unhappy: ['report', 'sentiment', '--label', 'negative', '--format', 'csv'],
};

describe('insole report: the three campaigns from the command line', () => {
  const databaseUri = testDatabaseUri();
  let connection: mongoose.Connection;
  let users: UserDoc[];
  let folder: string;
  before(async () => {
    connection = await mongoose.createConnection(databaseUri).asPromise();
    const seededAt = new Date();
    await connection.db!.collection('users').insertMany(reportShoppers(seededAt, 120).map((user) => ({ ...user })));
    users = await connection.db!.collection('users').find({}).toArray() as unknown as UserDoc[];
    folder = await mkdtemp(join(tmpdir(), 'insole-report-cli-'));
  });
  after(async () => { await connection.db!.dropDatabase(); await connection.close(); });

  /** What each campaign's file must hold; the segment's ages are counted on the UTC day of `at`. */
  const expected = (at: Date) => ({
    preorder: expectedSegmentUsers(users, isPreorderShopper(at), at, true),
    winback: expectedDormant(users, { mode: 'never_returned', days: 14 }, at),
    unhappy: expectedSentiment(users, 'negative'),
  });

  test('--output FILE: each campaign list holds the rows plain JavaScript expects, the count goes to the console', async () => {
    const before = new Date();
    const files: Record<string, string> = {};
    for (const [campaign, args] of Object.entries(CAMPAIGNS)) {
      files[campaign] = join(folder, `${campaign}.csv`);
      const { code, out } = await cli(databaseUri, ...args, '--output', files[campaign]);
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`^Wrote \\d+ row\\(s\\) \\(.*\\) to ${files[campaign].replaceAll('.', '\\.')}\\.$`));
    }
    const readings = [before, new Date()].map(expected);
    for (const campaign of Object.keys(CAMPAIGNS) as (keyof typeof CAMPAIGNS)[]) {
      const rows = csvRows(await readFile(files[campaign], 'utf8'), ['interests_matched']);
      assert.ok(readings[1][campaign].length >= 4, `${campaign}: ${readings[1][campaign].length} rows`);
      assert.ok(readings.some((reading) => JSON.stringify(reading[campaign]) === JSON.stringify(rows)), `${campaign}: ${JSON.stringify(rows).slice(0, 400)}`);
    }
    const winback = await readFile(files.winback, 'utf8');
    for (const name of FORMULA_NAMES) assert.ok(winback.includes(`"'${name.replaceAll('"', '""')}"`), `${name} neutralised`);
    assert.match((await cli(databaseUri, ...CAMPAIGNS.preorder, '--output', join(folder, 'again.csv'))).out, /\(men aged 20–40 interested in fitness\)/);
  });

  test('an existing file is never replaced without --force; NDJSON on request', async () => {
    const file = join(folder, 'kept.csv');
    await writeFile(file, 'an earlier campaign list\n');
    await assert.rejects(cli(databaseUri, ...CAMPAIGNS.unhappy, '--output', file), /kept\.csv exists: name a new file, or add --force to replace it\./);
    assert.equal(await readFile(file, 'utf8'), 'an earlier campaign list\n');
    assert.equal((await cli(databaseUri, 'report', 'sentiment', '--label', 'negative', '--format', 'ndjson', '--output', file, '--force')).code, 0);
    const rows = (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(rows, expectedSentiment(users, 'negative'));
  });

  test('bad options are refused before anything is read or written', async () => {
    const file = join(folder, 'never.csv');
    const cases: [string[], RegExp][] = [
      [['report', 'segment', '--age', '40-20'], /^--age: min must not be above max$/],
      [['report', 'segment', '--age', 'old'], /^--age: expected MIN-MAX \(20-40\), MIN- or -MAX, not "old"$/],
      [['report', 'segment', '--gender', ''], /^--gender: give a value$/],
      [['report', 'segment', '--lifecycle', 'sleepy'], /^--lifecycle: expected a lifecycle state \(new, active, lapsing, dormant, never_returned, reactivated\)/],
      [['report', 'segment', '--filter', '{"gender":{"$ne":""}}'], /^--filter: /],
      [['report', 'segment', '--filter', 'not json'], /^--filter: not JSON/],
      [['report', 'dormant', '--mode', 'asleep'], /^--mode: Invalid option: expected one of "never_returned"\|"inactive"$/],
      [['report', 'dormant', '--days', '0'], /^--days: Too small/],
      [['report', 'dormant', '--created-from', '2025-03-01', '--created-to', '2025-02-01'], /^--created-to: must be after created_from$/],
      [['report', 'dormant', '--label', 'negative'], /^report dormant has no option --label$/],
      // Options of other commands are no more ignored than those of another report.
      [['report', 'sentiment', '--label', 'negative', '--limit', '5'], /^report sentiment has no option --limit$/],
      [['report', 'segment', '--gender', 'male', '--fields', 'email'], /^report segment has no option --fields$/],
      [['report', 'dormant', '--upsert', '--seed', '3'], /^report dormant has no option --upsert, --seed$/],
      [['report', 'sentiment', '--label', 'furious'], /^--label: /],
      [['report', 'sentiment', '--format', 'xlsx'], /^--format must be csv or ndjson, not "xlsx"$/],
    ];
    // A database nobody listens on: the options are refused before the CLI tries to reach it.
    const unreachable = 'mongodb://127.0.0.1:9/unreachable';
    for (const [args, message] of cases) await assert.rejects(cli(unreachable, ...args, '--output', file), { name: 'CliError', message }, args.join(' '));
    assert.equal(await exists(file), false, 'no file was created');
    assert.equal((await cli(databaseUri, 'report', 'everything')).code, 2, 'an unknown report shows the usage');
  });

  test('the options become the segment filter language: the pre-order campaign is the shipped filter; lists and --filter combine', () => {
    assert.deepEqual(segmentFilterFrom({ gender: 'male', age: '20-40', interest: ['fitness'] }), PREORDER_SEGMENT_FILTER);
    assert.deepEqual(segmentFilterFrom({ age: '65-', interest: ['yoga,pilates', 'running'], country: ['DE'], filter: '{"sentiment":"negative"}' }), {
      age: { min: 65 }, interests: ['yoga', 'pilates', 'running'], country: 'DE', all: [{ sentiment: 'negative' }],
    });
    assert.deepEqual(segmentFilterFrom({ age: '30' }), { age: { min: 30, max: 30 } });
    assert.deepEqual(segmentFilterFrom({ age: '-17' }), { age: { max: 17 } });
  });

  test('npm run -s insole -- report … > FILE: stdout holds the CSV and nothing else (a real shell, a real npm); npx insole too', async () => {
    const env = { ...process.env, MONGODB_URI: databaseUri };
    for (const [campaign, args] of Object.entries(CAMPAIGNS)) {
      const viaFile = join(folder, `${campaign}.csv`);
      const redirected = join(folder, `${campaign}-stdout.csv`);
      const { stderr } = await run('sh', ['-c', `npm run -s insole -- ${args.map((a) => `'${a}'`).join(' ')} > '${redirected}'`], { cwd: ROOT, env });
      assert.match(stderr, /^Wrote \d+ row\(s\)/m);
      // The same rows as the --output file of the first test (ages cannot have moved unless a UTC midnight passed).
      assert.equal(await readFile(redirected, 'utf8'), await readFile(viaFile, 'utf8'), `${campaign}: stdout is the file, byte for byte`);
    }
    const viaBin = join(folder, 'unhappy-npx.csv');
    await run('sh', ['-c', `npx --offline insole ${CAMPAIGNS.unhappy.join(' ')} > '${viaBin}'`], { cwd: ROOT, env });
    assert.equal(await readFile(viaBin, 'utf8'), await readFile(join(folder, 'unhappy.csv'), 'utf8'), 'the bin entry runs on the project\'s Node');
  });

  test('report … | head: a reader that closes the pipe early ends the report quietly, exit code 0', async () => {
    for (const args of [['report', 'dormant'], ['report', 'segment', '--format', 'ndjson']]) {
      assert.deepEqual(await cliWithStdoutClosed(databaseUri, ...args), { code: 0, stderr: '' }, args.join(' '));
    }
  });
});

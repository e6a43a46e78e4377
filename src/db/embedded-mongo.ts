import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, globSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const TOOL_DIR = resolve(import.meta.dirname, '../../tools/mongo-dev-server');
export const DEV_SERVER_JAR = resolve(TOOL_DIR, 'target/mongo-dev-server.jar');

/** `pid` is the JVM's, for diagnostics (jcmd). */
export interface EmbeddedMongo { uri: string; pid: number; stop(): Promise<void> }

export class EmbeddedMongoUnavailable extends Error { override name = 'EmbeddedMongoUnavailable'; }

/**
 * G1 sizes its young generation up to 60 % of the heap. As the dev database's old generation (H2's
 * page cache, the in-memory indexes) grows, G1 expands the heap, and in a 30-minute soak the young
 * generation grew to about 1 GB, whose collections paused every command for 100–260 ms. H2's cache
 * keeps what it just loaded alive, so a young collection copies more the larger it is: capped, the
 * pauses stay as short as in the first minutes. On the command line, not in JAVA_TOOL_OPTIONS: G1
 * ignores a MaxNewSize that comes from the environment.
 * Left to size the heap itself, G1 keeps it just above the live data, and from about minute 15 of a
 * soak it marked the old generation every 20–35 s, each time about 1.2 s of one of the two cores, to
 * reclaim a few tens of MB: the late sign-ins slowed. Started at 2 GB, it marks three to five times in
 * 30 minutes; the p99 at the end still depends on whether a mark and its mixed collections fall in the
 * last minutes (bench/README.md, "Where the late stalls are"). Only pages used become resident.
 */
const JVM_OPTIONS = ['-Xss4m', '-XX:MaxNewSize=160m', '-Xms2g'];

/**
 * Starts the dev MongoDB-wire server (mongo-java-server, see tools/mongo-dev-server): in memory, or
 * persisted to `dataFile` (H2 MVStore). It stops by itself when this process's end of its stdin closes.
 * `env` is added to its environment (e.g. INSOLE_DEV_DB_SCANS=1); `onStderr` gets what it prints there.
 */
export async function startEmbeddedMongo(
  { dataFile, port = 0, env, onStderr }: { dataFile?: string; port?: number; env?: NodeJS.ProcessEnv; onStderr?: (text: string) => void } = {},
): Promise<EmbeddedMongo> {
  if (!existsSync(DEV_SERVER_JAR)) buildDevServerJar();
  else if (jarIsStale()) rebuildOrKeepOldJar();
  const args = [...JVM_OPTIONS, '-jar', DEV_SERVER_JAR, '--host', '127.0.0.1', '--port', String(port)];
  if (dataFile) {
    createDataFolder(resolve(dataFile, '..'));
    args.push('--data', dataFile);
  }
  // A process group of its own: Ctrl-C in the terminal signals the whole foreground group, and the
  // database then stopped at once, under the shutdown still finishing its work. It stops when we do.
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', onStderr ? 'pipe' : 'inherit'], env: { ...process.env, ...env }, detached: true });
  if (onStderr) child.stderr!.on('data', (chunk: Buffer) => onStderr(chunk.toString()));
  const address = await readReadyLine(child, dataFile);
  return {
    uri: address,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

/** A data_dir that cannot be written (read-only, a file in the way) is said in one line, not as mkdir's stack. */
function createDataFolder(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw new EmbeddedMongoUnavailable(`The embedded database cannot create its folder (data_dir): ${(err as Error).message}. Make data_dir writable, or set MONGODB_URI.`);
  }
}

/**
 * A jar older than the launcher's sources is rebuilt: one built before a pull kept running the old
 * launcher (a jar from before IndexedQueries ran every soak, so its scan report printed nothing).
 */
function jarIsStale(): boolean {
  const built = statSync(DEV_SERVER_JAR).mtimeMs;
  const sources = ['pom.xml', ...globSync('src/**/*.java', { cwd: TOOL_DIR })];
  return sources.some((file) => statSync(resolve(TOOL_DIR, file)).mtimeMs > built);
}

function rebuildOrKeepOldJar(): void {
  try {
    buildDevServerJar();
  } catch (err) {
    process.stderr.write(`insole: ${(err as Error).message} Starting the older jar.\n`);
  }
}

/**
 * Maven builds in a folder of its own, and the jar is then renamed into place. A dev database still
 * running the old jar (`npm start` in another terminal, a soak) keeps the file it opened: a build in
 * place rewrote that file under it, and its next class to load failed (NoClassDefFoundError, seen
 * when a soak shut down). Two processes rebuilding at once no longer share a folder either.
 */
export function buildDevServerJar(): void {
  const missing = ['java', 'mvn'].filter((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).error);
  if (missing.length) {
    throw new EmbeddedMongoUnavailable(
      `The embedded database needs ${missing.join(' and ')} (JDK 17+ and Maven). Install them, or set MONGODB_URI to a MongoDB server.`,
    );
  }
  const folder = resolve(TOOL_DIR, 'target', `build-${process.pid}-${Date.now()}`);
  try {
    const built = spawnSync('mvn', ['-q', '-B', `-Ddev-server.build=${folder}`, 'package'], { cwd: TOOL_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
    const jar = resolve(folder, 'mongo-dev-server.jar');
    if (built.status !== 0 || !existsSync(jar)) {
      throw new EmbeddedMongoUnavailable(`Building ${DEV_SERVER_JAR} with Maven failed. Set MONGODB_URI to use a MongoDB server instead.`);
    }
    renameSync(jar, DEV_SERVER_JAR);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** MongoDevServer.EXIT_FILE_LOCKED: another dev server has the data file open. */
const EXIT_FILE_LOCKED = 3;

function readReadyLine(child: ChildProcess, dataFile: string | undefined): Promise<string> {
  return new Promise((resolveUri, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('error', (err) => reject(new EmbeddedMongoUnavailable(`Cannot start java: ${err.message}. Set MONGODB_URI instead.`)));
    child.once('exit', (code) => reject(new EmbeddedMongoUnavailable(code === EXIT_FILE_LOCKED
      ? `The embedded database's file ${dataFile} is in use by another insole (npm start in another terminal?). Stop that one, or set MONGODB_URI or another data_dir.`
      : `The embedded database exited early (code ${code}).`)));
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) resolveUri(line.slice('READY '.length).trim());
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); done(); });
    child.stdin!.end();
  });
}

// `npm install` hook: builds the embedded dev database (tools/mongo-dev-server) when Java and Maven
// are present. Never fails the install: production sets MONGODB_URI and needs no jar.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const jar = new URL('./mongo-dev-server/target/mongo-dev-server.jar', import.meta.url);
if (process.env.INSOLE_SKIP_DEV_DB_BUILD === '1' || existsSync(jar)) process.exit(0);
const missing = ['java', 'mvn'].filter((tool) => spawnSync(tool, ['-version'], { stdio: 'ignore' }).error);
if (missing.length) {
  console.warn(`insole: ${missing.join(' and ')} not found, so the embedded dev database was not built. Set MONGODB_URI, or install JDK 17+ and Maven and run "npm run build:dev-db".`);
  process.exit(0);
}
const built = spawnSync('mvn', ['-q', '-B', 'package'], { cwd: new URL('./mongo-dev-server/', import.meta.url), stdio: 'inherit' });
if (built.status !== 0) console.warn('insole: building the embedded dev database failed; see the Maven output above.');

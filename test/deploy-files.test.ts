import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';
import { configSchema } from '../src/config/schema.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { LAST_WRITES_MS } from '../src/insole.ts';

// Docker and a cluster are not on the test machines, so the examples are checked for what can go
// wrong without them: insole's own config loader accepts exactly the settings each example gives it
// (production mode, which refuses development secrets and the examples' placeholders, http issuers and
// missing TRUST_PROXY), the
// probes name routes that answer, neither drains shorter than the default, and the stop grace outlasts
// insole's drain plus its grace.
const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFile(join(ROOT, path), 'utf8');
const SECRET = 'f'.repeat(64);

type Env = Record<string, string>;
/** Compose's `${NAME:?message}` and `${NAME:-default}`, with the secrets an operator must set. */
function composeEnv(environment: Env): Env {
  const given: Env = { INSOLE_COOKIE_SECRETS: SECRET, INSOLE_KEY_ENCRYPTION_KEY: SECRET.replace(/f/g, 'e') };
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value).replace(
    /\$\{(\w+)(?::\?[^}]*|:-([^}]*))?\}/g, (_m, v: string, fallback?: string) => given[v] ?? fallback ?? assert.fail(`${name} needs \${${v}}`),
  )]));
}

// A balancer polling readiness loses requests with a shorter drain than the default (README Operations,
// test/shutdown-drain.test.ts): an example may drain longer, never shorter.
const DEFAULT_DRAIN_MS = configSchema.shape.shutdown.parse(undefined).drain_ms;

const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1] ?? assert.fail(`not a duration in seconds: ${duration}`));

describe('deployment examples (docker-compose.yml, deploy/)', () => {
  let insole: TestInsole;
  before(async () => { insole = await startTestInsole(); });
  after(() => insole.stop());

  test('compose: three insole replicas behind Caddy on a three-member replica set, and insole accepts their settings in production', async () => {
    const compose = parse(await read('docker-compose.yml'));
    const app = compose.services.insole;
    assert.equal(app.deploy.replicas, 3);
    assert.deepEqual(['caddy', 'mongo1', 'mongo2', 'mongo3', 'mongo-init', 'rabbitmq', 'mailpit'].filter((s) => !compose.services[s]), []);
    assert.match(app.environment.MONGODB_URI, /mongo1:27017,mongo2:27017,mongo3:27017\/insole\?replicaSet=rs0$/);
    assert.equal(app.environment.TRUST_PROXY, '1', 'exactly one proxy (Caddy) in front');

    const mount = app.volumes.find((v: string) => v.endsWith(`:${app.environment.INSOLE_CONFIG}:ro`));
    assert.ok(mount, 'the config file compose names is mounted');
    const config = loadConfig({ env: { ...composeEnv(app.environment), INSOLE_CONFIG: join(ROOT, mount.split(':')[0]) } });
    assert.equal(config.issuer, 'https://localhost:8443');
    assert.ok(config.shutdown.drain_ms >= DEFAULT_DRAIN_MS, `compose drains ${config.shutdown.drain_ms} ms, less than the default ${DEFAULT_DRAIN_MS}`);
    assert.ok(seconds(app.stop_grace_period) * 1000 > config.shutdown.drain_ms + config.shutdown.grace_ms + LAST_WRITES_MS, 'docker waits longer than insole drains and finishes');

    const caddyfile = await read('deploy/compose/Caddyfile');
    assert.match(caddyfile, /dynamic a insole 3000/);
    assert.match(caddyfile, /health_uri \/health\/ready/);
    assert.match(caddyfile, /lb_policy round_robin/);
  });

  test('kubernetes: probes on /health/live and /health/ready, PDB, HPA on CPU, and insole accepts the Deployment, ConfigMap and Secret in production', async () => {
    const kinds = new Map<string, Record<string, any>>();
    for (const file of ['deployment.yaml', 'configmap.yaml', 'secret.example.yaml', 'hpa.yaml', 'pdb.yaml', 'service.yaml']) {
      for (const doc of parseAllDocuments(await read(`deploy/kubernetes/${file}`))) {
        const resource = doc.toJS();
        if (resource) kinds.set(resource.kind, resource);
      }
    }
    const pod = kinds.get('Deployment')!.spec.template.spec;
    const container = pod.containers[0];
    assert.equal(container.livenessProbe.httpGet.path, '/health/live');
    assert.equal(container.startupProbe.httpGet.path, '/health/live');
    assert.equal(container.readinessProbe.httpGet.path, '/health/ready');
    assert.equal(kinds.get('PodDisruptionBudget')!.spec.maxUnavailable, 1);
    assert.equal(kinds.get('HorizontalPodAutoscaler')!.spec.metrics[0].resource.name, 'cpu');
    assert.ok(container.resources.requests.cpu, 'the HPA percentage is of a CPU request');

    const dir = await mkdtemp(join(tmpdir(), 'insole-k8s-'));
    const configFile = join(dir, 'insole.json');
    await writeFile(configFile, kinds.get('ConfigMap')!.data['insole.json']);
    const env: Env = { NODE_ENV: 'production', ...kinds.get('Secret')!.stringData };
    for (const { name, value } of container.env) env[name] = name === 'INSOLE_CONFIG' ? configFile : value;
    // Applied as shipped, the example Secret's placeholders (public, in this repository) are refused, each by name.
    assert.throws(() => loadConfig({ env }), (err) => err instanceof ConfigError
      && /^secrets\.cookie_keys: [^\n]*placeholder[^\n]*set INSOLE_COOKIE_SECRETS/m.test(err.problems.join('\n'))
      && /^secrets\.key_encryption_key: [^\n]*set INSOLE_KEY_ENCRYPTION_KEY/m.test(err.problems.join('\n')));
    const config = loadConfig({ env: { ...env, INSOLE_COOKIE_SECRETS: SECRET, INSOLE_KEY_ENCRYPTION_KEY: SECRET.replace(/f/g, 'e') } });
    assert.equal(config.issuer, 'https://id.innovashoes.example');
    assert.ok(config.shutdown.drain_ms >= DEFAULT_DRAIN_MS, `Kubernetes drains ${config.shutdown.drain_ms} ms, less than the default ${DEFAULT_DRAIN_MS}`);
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > config.shutdown.drain_ms + config.shutdown.grace_ms + LAST_WRITES_MS, 'Kubernetes waits longer than insole drains and finishes');
  });

  test('the probe paths answer on a running insole; readiness reports the database', async () => {
    for (const path of ['/health/live', '/health/ready']) {
      const res = await fetch(`${insole.url}${path}`);
      assert.equal(res.status, 200, path);
    }
    assert.ok(JSON.stringify(await (await fetch(`${insole.url}/health/ready`)).json()).includes('database'));
  });
});

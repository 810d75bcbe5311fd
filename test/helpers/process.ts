/**
 * Runs server/main.ts as a real child process (one node process, tsx as a loader, so the pid
 * we signal is the app itself) and reads its JSON log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface AppProcess {
  child: ChildProcess;
  /** Resolves with the ready log line (role, url). */
  ready: Promise<{ url?: string; role: string }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export function spawnApp(args: string[], env: Record<string, string | undefined>): AppProcess {
  const cleanEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) {
    if (v !== undefined && !k.startsWith('VITEST') && k !== 'NODE_ENV') cleanEnv[k] = v;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    cwd: ROOT,
    env: cleanEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<{ url?: string; role: string }>((resolveReady, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string; role?: string };
          if (entry.msg?.startsWith('ready'))
            resolveReady({ url: entry.url, role: entry.role ?? '' });
        } catch {
          // a partial line; the rest comes with the next chunk
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready:\n${out}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return { child, ready, exited, output: () => out };
}

/**
 * Runs a test helper script (a worker the crash tests kill) as a child process with `env` on
 * top of this process's environment; its stderr is kept for the failure message.
 */
export function spawnScript(
  script: string,
  env: Record<string, string>,
): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

export { isAlive } from '../../server/db/embedded.ts';

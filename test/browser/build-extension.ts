/** Global setup: the browser tests load extension/dist, so build it when a source changed. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'extension/build.ts', '--if-stale'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: 'inherit',
  });
}

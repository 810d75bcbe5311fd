/**
 * `npm run build:extension`: builds both surfaces with Vite into extension/dist and prints the
 * gzipped JS each surface loads (its entry plus the chunks it imports), failing past the
 * 30 KB budget (DESIGN §10). With `--if-stale` (prestart, pretest) it builds only when a
 * source file is newer than the last build, so it costs nothing most of the time.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = join(root, 'dist');
const stamp = join(dist, '.built');
const BUDGET_BYTES = 30 * 1024;
const SURFACES = ['settings.html', 'panel.html'];

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const entry of ['src', 'settings.html', 'panel.html', 'vite.config.ts']) {
    visit(join(root, entry));
  }
  // The API types the extension compiles against.
  visit(fileURLToPath(new URL('../server/http/routes/panel.ts', import.meta.url)));
  visit(fileURLToPath(new URL('../server/http/routes/person.ts', import.meta.url)));
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  if (statSync(stamp).mtimeMs >= newestSource()) process.exit(0);
}

// Called from vitest's global setup NODE_ENV is `test`, which makes the Preact preset bundle
// preact/debug (+5 KB gzipped): a shipped build is always a production one.
process.env.NODE_ENV = 'production';
await build({ configFile: join(root, 'vite.config.ts'), mode: 'production', logLevel: 'warn' });

interface ManifestChunk {
  file: string;
  imports?: string[];
  css?: string[];
}
const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8')) as Record<
  string,
  ManifestChunk
>;
const gzipped = (file: string) => gzipSync(readFileSync(join(dist, file))).length;
let over = false;
for (const surface of SURFACES) {
  const js = new Set<string>();
  const css = new Set<string>();
  const walk = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || js.has(chunk.file)) return;
    js.add(chunk.file);
    for (const c of chunk.css ?? []) css.add(c);
    for (const i of chunk.imports ?? []) walk(i);
  };
  walk(surface);
  const jsBytes = [...js].reduce((sum, f) => sum + gzipped(f), 0);
  const cssBytes = [...css].reduce((sum, f) => sum + gzipped(f), 0);
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `extension ${surface.padEnd(14)} JS ${kb(jsBytes)} gzipped (budget ${kb(BUDGET_BYTES)}), CSS ${kb(cssBytes)}`,
  );
  if (jsBytes > BUDGET_BYTES) over = true;
}
if (over) {
  console.error('A surface is over its 30 KB gzipped JS budget (DESIGN.md §10).');
  process.exit(1);
}
writeFileSync(stamp, new Date().toISOString());

/**
 * The HTML of the demo host page (see host.ts). Plain browser JS, no build step: it plays
 * Pipedrive's parent frame for the two extension iframes.
 *
 * Wire protocol (../shared/reference/pipedrive-api.md §10.5): the SDK posts
 * `{ payload, id }` to window.parent; a command carries a MessagePort in `event.ports[0]` and
 * gets exactly one `{ data }` or `{ error }` on it; a listener registration carries a port the
 * host keeps and posts events on; a track message has no port and no reply.
 *
 * Page parameters (for people and tests): `?screen=settings|persons|person&person=<id>`,
 * `theme=dark`, `urlTokenTtl=<s>` (the token in the iframe URL; negative = already expired),
 * `expireFirstToken=1` (the first get_signed_token answer is already expired).
 * `window.demoHost` exposes the message log, `setTheme(theme)` and `expireNextToken()`.
 */
export function hostPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo Pipedrive — Constant Contact Sync</title>
<style>
:root{--bg:#f4f5f7;--card:#fff;--fg:#1b1d21;--muted:#5f6672;--line:#dcdfe4;--accent:#017737}
[data-theme=dark]{--bg:#16181c;--card:#22252b;--fg:#e8eaed;--muted:#a1a7b3;--line:#3a3f47;--accent:#3ecf8e}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1b1d21;color:#fff}
header strong{margin-right:auto}header button,header a{color:#fff;background:none;border:1px solid #555;border-radius:4px;padding:.3rem .7rem;cursor:pointer;font:inherit;text-decoration:none}
header button[aria-current=page]{background:#444}
main{padding:1rem;max-width:1100px;margin:0 auto}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:1rem;margin-bottom:1rem}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.4rem;border-bottom:1px solid var(--line)}
td button{background:none;border:0;color:var(--accent);cursor:pointer;font:inherit;padding:0;text-decoration:underline}
.person{display:grid;grid-template-columns:340px 1fr;gap:1rem;align-items:start}
iframe{border:0;width:100%;display:block;background:var(--card)}
.settings-frame{border:1px solid var(--line);border-radius:6px}
label{display:block;margin:.5rem 0 .2rem;color:var(--muted)}input{width:100%;padding:.4rem;font:inherit;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
form button{margin-top:.8rem;padding:.45rem .9rem;background:var(--accent);color:#fff;border:0;border-radius:4px;font:inherit;cursor:pointer}
#snackbar{position:fixed;left:50%;bottom:1.5rem;transform:translateX(-50%);background:#333;color:#fff;padding:.6rem 1rem;border-radius:4px;display:none}
.muted{color:var(--muted)}
</style></head>
<body>
<header><strong>Demo Pipedrive</strong>
<button type="button" data-screen="persons">People</button>
<button type="button" data-screen="settings">Settings → Constant Contact Sync</button>
<button type="button" id="theme">Dark theme</button></header>
<main id="main"><p class="muted">Loading the demo company…</p></main>
<div id="snackbar" role="status" aria-live="polite"></div>
<script type="module">
const params = new URLSearchParams(location.search);
const state = { theme: params.get('theme') === 'dark' ? 'dark' : 'light', context: null, expireNext: params.get('expireFirstToken') === '1' };
const log = [];
const listeners = []; // { source, event, port }
window.demoHost = {
  log,
  setTheme,
  expireNextToken() { state.expireNext = true; },
};

async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}
async function token(ttl) {
  return (await getJson('/demo/api/token?ttl=' + ttl)).token;
}

/** The iframe URL Pipedrive builds (§10.2): identity, a JWT, the SDK id, the theme. */
async function frameUrl(page, extra) {
  const ttl = Number(params.get('urlTokenTtl') ?? 300);
  const query = new URLSearchParams({
    id: crypto.randomUUID(),
    userId: String(state.context.userId),
    companyId: String(state.context.companyId),
    token: await token(ttl),
    theme: state.theme,
    ...extra,
  });
  return '/extension/' + page + '?' + query;
}

const frames = new Map(); // contentWindow → { iframe, kind }
function frameOf(source) {
  for (const [win, info] of frames) if (win === source) return info;
  return undefined;
}

// §10.5: answer each command once on its port; keep listener ports; ignore track messages.
addEventListener('message', async (event) => {
  const payload = event.data && event.data.payload;
  if (!payload || !payload.type) return;
  const frame = frameOf(event.source);
  const kind = frame ? frame.kind : 'unknown';
  log.push({ frame: kind, type: payload.type, command: payload.command, event: payload.event, args: payload.args });
  if (payload.type === 'listener') {
    listeners.push({ source: event.source, event: payload.event, port: event.ports[0] });
    return;
  }
  if (payload.type !== 'command') return;
  const port = event.ports[0];
  try {
    port.postMessage({ data: await command(payload.command, payload.args || {}, frame) });
  } catch (error) {
    port.postMessage({ error: String(error.message || error) });
  }
});

async function command(name, args, frame) {
  switch (name) {
    case 'initialize':
      if (args.size) resize(frame, args.size);
      return undefined;
    case 'get_signed_token': {
      const ttl = state.expireNext ? -120 : 300;
      state.expireNext = false;
      return { token: await token(ttl) };
    }
    case 'resize':
      resize(frame, args);
      return undefined;
    case 'show_snackbar':
      snackbar(args.message);
      return undefined;
    case 'show_confirmation':
      return { confirmed: window.confirm(args.title + (args.description ? '\\n\\n' + args.description : '')) };
    case 'get_metadata':
      return { windowHeight: innerHeight, windowWidth: innerWidth };
    case 'redirect_to':
      show(args.view === 'settings' ? 'settings' : 'persons');
      return undefined;
    default:
      throw new Error('Command ' + name + ' is not emulated by the demo host');
  }
}

function resize(frame, size) {
  if (!frame || !size || typeof size.height !== 'number') return;
  // Panels are 100–750 px high (§10.4); the settings page gets what it asks for.
  const height = frame.kind === 'panel' ? Math.min(750, Math.max(100, size.height)) : Math.max(100, size.height);
  frame.iframe.style.height = height + 'px';
}

function snackbar(message) {
  const bar = document.getElementById('snackbar');
  bar.textContent = message;
  bar.style.display = 'block';
  clearTimeout(snackbar.timer);
  snackbar.timer = setTimeout(() => { bar.style.display = 'none'; }, 4000);
}

function setTheme(theme) {
  state.theme = theme === 'dark' ? 'dark' : 'light';
  document.documentElement.dataset.theme = state.theme;
  document.getElementById('theme').textContent = state.theme === 'dark' ? 'Light theme' : 'Dark theme';
  for (const l of listeners) {
    if (l.event === 'user_settings_change') l.port.postMessage({ data: { theme: state.theme } });
  }
}
document.getElementById('theme').addEventListener('click', () => setTheme(state.theme === 'dark' ? 'light' : 'dark'));
for (const b of document.querySelectorAll('[data-screen]')) b.addEventListener('click', () => show(b.dataset.screen));

function mountFrame(container, kind, src, title) {
  const iframe = document.createElement('iframe');
  iframe.title = title;
  iframe.name = kind;
  iframe.className = kind + '-frame';
  iframe.style.height = kind === 'panel' ? '360px' : '600px';
  iframe.src = src;
  container.append(iframe);
  frames.set(iframe.contentWindow, { iframe, kind });
  return iframe;
}

function clearFrames() {
  frames.clear();
  listeners.length = 0;
}

function element(tag, props, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

async function show(screen, personId) {
  clearFrames();
  for (const b of document.querySelectorAll('[data-screen]')) {
    const current = b.dataset.screen === (screen === 'person' ? 'persons' : screen);
    if (current) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  const main = document.getElementById('main');
  main.replaceChildren();
  if (screen === 'settings') {
    const card = element('section', { className: 'card' }, element('h1', { textContent: 'Constant Contact Sync — app settings' }));
    main.append(card);
    mountFrame(card, 'settings', await frameUrl('settings.html', {}), 'Constant Contact Sync settings');
    return;
  }
  if (screen === 'person' && personId) return showPerson(main, personId);
  const rows = state.context.persons.map((p) =>
    element('tr', {},
      element('td', {}, element('button', { type: 'button', textContent: p.name, onclick: () => show('person', p.id) })),
      element('td', { textContent: p.email || '—' }),
      element('td', { textContent: p.jobTitle || '' })));
  main.append(element('section', { className: 'card' },
    element('h1', { textContent: 'People — ' + state.context.companyName }),
    element('table', {}, element('thead', {}, element('tr', {},
      element('th', { textContent: 'Name' }), element('th', { textContent: 'Email' }), element('th', { textContent: 'Job title' }))),
      element('tbody', {}, ...rows))));
}

async function showPerson(main, id) {
  const person = await getJson('/demo/api/persons/' + id);
  const sidebar = element('aside', { className: 'card', ariaLabel: 'Person sidebar' }, element('h2', { textContent: 'Constant Contact Sync' }));
  const form = element('form', { className: 'card', ariaLabel: 'Edit person' },
    element('h1', { textContent: person.name }),
    element('p', { className: 'muted', textContent: 'Edit the person as in Pipedrive: saving fires the person webhook to the app.' }),
    element('label', { htmlFor: 'f-name', textContent: 'Name' }), element('input', { id: 'f-name', name: 'name', value: person.name }),
    element('label', { htmlFor: 'f-email', textContent: 'Email' }), element('input', { id: 'f-email', name: 'email', type: 'email', value: person.email || '' }),
    element('label', { htmlFor: 'f-job', textContent: 'Job title' }), element('input', { id: 'f-job', name: 'job_title', value: person.jobTitle || '' }),
    element('button', { type: 'submit', textContent: 'Save' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await getJson('/demo/api/persons/' + id, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
      snackbar('Person saved in Pipedrive');
      await show('person', id);
    } catch (error) { snackbar(error.message); }
  });
  main.append(element('div', { className: 'person' }, sidebar, form));
  mountFrame(sidebar, 'panel', await frameUrl('panel.html', { resource: 'person', view: 'details', selectedIds: String(id) }), 'Constant Contact Sync person panel');
}

async function start() {
  setTheme(state.theme);
  for (let attempt = 0; ; attempt++) {
    try { state.context = await getJson('/demo/api/context'); break; }
    catch (error) {
      if (attempt > 30) { document.getElementById('main').textContent = error.message; return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const screen = params.get('screen') || 'persons';
  await show(screen, Number(params.get('person')) || state.context.persons[0]?.id);
}
start();
</script></body></html>`;
}

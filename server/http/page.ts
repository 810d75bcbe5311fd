/** The few HTML pages a person sees outside Pipedrive (OAuth outcomes), small and escaped. */
const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export function page(input: {
  title: string;
  message: string;
  link?: { href: string; text: string };
}): string {
  const link = input.link
    ? `<p><a href="${escapeHtml(input.link.href)}">${escapeHtml(input.link.text)}</a></p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1b1b}h1{font-size:1.4rem}a{color:#0a66c2}</style>
</head><body><h1>${escapeHtml(input.title)}</h1><p>${escapeHtml(input.message)}</p>${link}</body></html>`;
}

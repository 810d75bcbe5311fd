/** The frame of both surfaces: follows Pipedrive's theme and sizes the iframe to the content. */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useState } from 'preact/hooks';
import type { Host, Theme } from '../../sdk.ts';

/** Follows Pipedrive's theme and keeps the iframe as tall as the content (§10.4 resize). */
export function Shell({ host, children }: { host: Host; children: ComponentChildren }) {
  const [theme, setTheme] = useState<Theme>(host.theme);
  useEffect(() => host.onThemeChange(setTheme), [host]);
  useLayoutEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  useEffect(() => {
    let last = 0;
    const observer = new ResizeObserver(() => {
      // The body's own height: the document's scrollHeight never drops below the iframe's
      // current height, so the panel could grow but never shrink.
      const height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        host.resize(height);
      }
    });
    observer.observe(document.body);
    return () => observer.disconnect();
  }, [host]);
  return <main>{children}</main>;
}

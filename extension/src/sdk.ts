/**
 * The one module that imports @pipedrive/app-extensions-sdk (0.15.1). It hides two known
 * problems (../shared/reference/stack.md §10):
 * - Vite 8 hands the default import the whole CJS `module.exports`, so the class is taken
 *   through a namespace import;
 * - `initialize()` never settles without a parent frame that answers, so it gets a timeout
 *   and the page shows an error instead of spinning forever. Pipedrive itself drops an iframe
 *   that has not initialised within 10 s (pipedrive-api.md §10.1), so we give up before that.
 */
import * as SdkModule from '@pipedrive/app-extensions-sdk';
import { Command, Event } from '@pipedrive/app-extensions-sdk';

type SdkClass = typeof SdkModule.default;
const AppExtensionsSDK = ((SdkModule.default as unknown as { default?: SdkClass }).default ??
  SdkModule.default) as SdkClass;

export type Theme = 'light' | 'dark';

/** What the surfaces need from Pipedrive, and nothing of the SDK's own types. */
export interface Host {
  readonly theme: Theme;
  /** A fresh signed token (5 minutes) for one backend call (§10.3). */
  signedToken(): Promise<string>;
  /** Panels are 100–750 px high; the host clamps. */
  resize(height: number): void;
  snackbar(message: string): void;
  onThemeChange(listener: (theme: Theme) => void): () => void;
}

export class HostError extends Error {
  override name = 'HostError';
}

export const INITIALIZE_TIMEOUT_MS = 8_000;

export async function connectHost(options: { height: number; timeoutMs?: number }): Promise<Host> {
  let sdk: InstanceType<SdkClass>;
  try {
    sdk = new AppExtensionsSDK();
  } catch (error) {
    // Thrown when the URL has no `id`: the page was opened outside Pipedrive.
    throw new HostError(
      `This page runs inside Pipedrive only (${error instanceof Error ? error.message : 'no SDK identifier'}).`,
    );
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HostError('Pipedrive did not answer. Reload the page in Pipedrive.')),
      options.timeoutMs ?? INITIALIZE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([sdk.initialize({ size: { height: options.height } }), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const theme: Theme = sdk.userSettings.theme === 'dark' ? 'dark' : 'light';
  return {
    theme,
    async signedToken() {
      const { token } = await sdk.execute(Command.GET_SIGNED_TOKEN);
      return token;
    },
    resize(height) {
      void sdk.execute(Command.RESIZE, { height }).catch(() => {});
    },
    snackbar(message) {
      void sdk.execute(Command.SHOW_SNACKBAR, { message }).catch(() => {});
    },
    onThemeChange(listener) {
      // 0.15.1 stores the whole envelope in sdk.userSettings; read the callback's data.
      return sdk.listen(Event.USER_SETTINGS_CHANGE, (event) => {
        listener(event.data?.theme === 'dark' ? 'dark' : 'light');
      });
    },
  };
}

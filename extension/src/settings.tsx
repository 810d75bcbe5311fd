import './styles.css';
import { createApi } from './api.ts';
import { boot } from './boot.tsx';
import { SettingsPage } from './components/SettingsPage/SettingsPage.tsx';
import { Shell } from './components/Shell/Shell.tsx';
import { createEditorModel } from './models/editor.ts';
import { createEngagementSummaryModel } from './models/engagement.ts';
import { createSettingsModel } from './models/settings.ts';
import { createSyncModel } from './models/sync.ts';

void boot({
  height: 600,
  page: (host) => {
    const api = createApi(() => host.signedToken());
    const notify = (message: string) => host.snackbar(message);
    // CC's consent page refuses to be framed, so it opens in its own window.
    const model = createSettingsModel(api, (url) => window.open(url, '_blank', 'noopener'), notify);
    const sync = createSyncModel(api, notify);
    const editor = createEditorModel(api, { notify, saved: sync.refresh });
    return (
      <Shell host={host}>
        <SettingsPage
          model={model}
          sync={sync}
          editor={editor}
          engagement={createEngagementSummaryModel(api)}
        />
      </Shell>
    );
  },
});

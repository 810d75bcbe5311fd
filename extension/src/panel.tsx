import './styles.css';
import { createApi } from './api.ts';
import { boot } from './boot.tsx';
import { ErrorBox } from './components/Feedback/Feedback.tsx';
import { PanelPage } from './components/PanelPage/PanelPage.tsx';
import { Shell } from './components/Shell/Shell.tsx';
import { createEngagementModel } from './models/engagement.ts';
import { createPanelModel, personIdFromUrl } from './models/panel.ts';

void boot({
  height: 360,
  page: (host) => {
    const personId = personIdFromUrl(location.search);
    if (personId === null) {
      return (
        <Shell host={host}>
          <ErrorBox
            error={{
              code: 'NO_PERSON',
              message: 'Pipedrive did not say which person this panel is for.',
              fix: 'Open the panel from a person’s detail view.',
            }}
          />
        </Shell>
      );
    }
    const api = createApi(() => host.signedToken());
    const model = createPanelModel(api, personId, (message) => host.snackbar(message));
    return (
      <Shell host={host}>
        <PanelPage model={model} engagement={createEngagementModel(api, personId)} />
      </Shell>
    );
  },
});

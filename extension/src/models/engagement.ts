/**
 * Email engagement in the panels (issue 9): a person's recent opens, clicks, opt-outs and
 * bounces for the person panel, and the settings page's count of entries recorded today.
 */
import type { EngagementSummaryResponse, PersonEngagementResponse } from '../api.ts';
import { type Load, load, Store } from './store.ts';

/** The engagement calls of the app's API (api.ts `createApi` provides them). */
export interface EngagementApi {
  personEngagement(personId: number): Promise<PersonEngagementResponse>;
  engagementSummary(): Promise<EngagementSummaryResponse>;
}

/** How long the panel waits before looking again after asking for a fresh read. */
export const REFRESH_AFTER_MS = 20_000;

export type EngagementModel = ReturnType<typeof createEngagementModel>;

export function createEngagementModel(
  api: Pick<EngagementApi, 'personEngagement'>,
  personId: number,
) {
  const store = new Store<{ list: Load<PersonEngagementResponse> }>({
    list: { status: 'loading' },
  });
  return {
    store,
    async refresh(): Promise<void> {
      store.set({ list: await load(() => api.personEngagement(personId)) });
    },
  };
}

export type EngagementSummaryModel = ReturnType<typeof createEngagementSummaryModel>;

export function createEngagementSummaryModel(api: Pick<EngagementApi, 'engagementSummary'>) {
  const store = new Store<{ summary: Load<EngagementSummaryResponse> }>({
    summary: { status: 'loading' },
  });
  return {
    store,
    async refresh(): Promise<void> {
      store.set({ summary: await load(() => api.engagementSummary()) });
    },
  };
}

type Item = PersonEngagementResponse['items'][number];

const VERBS: Record<Item['kind'], string> = {
  open: 'Opened',
  click: 'Clicked a link in',
  optout: 'Unsubscribed via',
  bounce: 'Bounced:',
};

/** One line of the panel's list, e.g. `Opened “Spring Newsletter”`. */
export function engagementLine(item: Item): string {
  return `${VERBS[item.kind]} “${item.campaignName}”${item.status === 'pending' ? ' (being recorded)' : ''}`;
}

const NOUNS: Record<Item['kind'], [string, string]> = {
  open: ['open', 'opens'],
  click: ['click', 'clicks'],
  optout: ['opt-out', 'opt-outs'],
  bounce: ['bounce', 'bounces'],
};

/** The settings read-out in words, e.g. `12 recorded today as activities (8 opens, 4 clicks)`. */
export function todayLine(summary: EngagementSummaryResponse): string {
  const parts = (Object.keys(NOUNS) as Item['kind'][])
    .filter((k) => summary.todayByKind[k] > 0)
    .map((k) => {
      const n = summary.todayByKind[k];
      return `${n.toLocaleString('en')} ${NOUNS[k][n === 1 ? 0 : 1]}`;
    });
  const head = `${summary.recordedToday.toLocaleString('en')} recorded today as ${summary.recordAs}`;
  const waiting =
    summary.pending > 0 ? ` · ${summary.pending.toLocaleString('en')} waiting to be recorded` : '';
  return `${head}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}${waiting}`;
}

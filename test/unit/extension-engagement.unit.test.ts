import { describe, expect, it } from 'vitest';
import { ApiError, type EngagementSummaryResponse } from '../../extension/src/api.ts';
import {
  createEngagementModel,
  createEngagementSummaryModel,
  engagementLine,
  todayLine,
} from '../../extension/src/models/engagement.ts';

const summary = (patch: Partial<EngagementSummaryResponse> = {}): EngagementSummaryResponse => ({
  connected: true,
  recordedToday: 0,
  todayByKind: { open: 0, click: 0, optout: 0, bounce: 0 },
  pending: 0,
  recordAs: 'activities',
  notices: [],
  lastPollAt: null,
  pollIntervalSeconds: 346,
  ...patch,
});

describe('engagement in words', () => {
  it('names each kind and the campaign, and says when an entry is still being recorded', () => {
    const base = { id: 1, at: '2026-11-20T09:00:00Z', campaignName: 'Spring', linkUrl: null };
    expect(engagementLine({ ...base, kind: 'open', status: 'recorded' })).toBe('Opened “Spring”');
    expect(engagementLine({ ...base, kind: 'click', status: 'pending' })).toBe(
      'Clicked a link in “Spring” (being recorded)',
    );
    expect(engagementLine({ ...base, kind: 'optout', status: 'recorded' })).toBe(
      'Unsubscribed via “Spring”',
    );
  });

  it('counts today’s entries by kind, singular and plural, and what waits', () => {
    expect(todayLine(summary())).toBe('0 recorded today as activities');
    expect(
      todayLine(
        summary({
          recordedToday: 1_204,
          todayByKind: { open: 1_200, click: 3, optout: 1, bounce: 0 },
          pending: 2,
          recordAs: 'notes',
        }),
      ),
    ).toBe(
      '1,204 recorded today as notes (1,200 opens, 3 clicks, 1 opt-out) · 2 waiting to be recorded',
    );
  });
});

describe('engagement models', () => {
  it('loads the person’s list, and shows the server’s fix when it fails', async () => {
    const ok = createEngagementModel(
      { personEngagement: async (id) => ({ personId: id, items: [], refreshing: true }) },
      7,
    );
    await ok.refresh();
    expect(ok.store.get().list).toEqual({
      status: 'ready',
      data: { personId: 7, items: [], refreshing: true },
    });
    const failing = createEngagementSummaryModel({
      engagementSummary: async () => {
        throw new ApiError(409, 'CC_NOT_CONNECTED', 'Not connected.', 'Connect it.');
      },
    });
    await failing.refresh();
    expect(failing.store.get().summary).toEqual({
      status: 'error',
      error: { code: 'CC_NOT_CONNECTED', message: 'Not connected.', fix: 'Connect it.' },
    });
  });
});

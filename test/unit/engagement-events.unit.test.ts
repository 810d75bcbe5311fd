import { describe, expect, it } from 'vitest';
import { rereadAfterMs } from '../../server/sync/engagement/collect.ts';
import { entryOf, eventOf, eventRef, inBurst } from '../../server/sync/engagement/events.ts';

const record = {
  contact_id: 'c-1',
  campaign_activity_id: 'ca-1',
  created_time: '2026-11-20T09:15:42Z',
};

describe('eventOf', () => {
  it('gives both CC reports the same key for the same event', () => {
    const fromCampaign = eventOf({
      ...record,
      tracking_activity_type: 'em_clicks',
      created_time: '2026-11-20T09:15:42.000Z',
      link_url: 'https://x.org/pricing',
      device_type: 'mobile',
    });
    const fromContact = eventOf({ ...record, tracking_activity_type: 'em_clicks' });
    expect(fromCampaign?.key).toBe(fromContact?.key);
    expect(fromCampaign?.detail).toEqual({
      linkUrl: 'https://x.org/pricing',
      deviceType: 'mobile',
    });
  });

  it('ignores sends, forwards and records whose time is not a date', () => {
    expect(eventOf({ ...record, tracking_activity_type: 'em_sends' })).toBeNull();
    expect(eventOf({ ...record, tracking_activity_type: 'em_forwards' })).toBeNull();
    expect(
      eventOf({ ...record, tracking_activity_type: 'em_opens', created_time: 'yesterday' }),
    ).toBeNull();
  });
});

describe('entryOf', () => {
  it('dates the entry when the event happened and escapes what CC sent', () => {
    const entry = entryOf({
      kind: 'click',
      occurredAt: '2026-11-20T09:15:42.000Z',
      detail: { linkUrl: 'https://x.org/?a=1&b=<2>' },
      campaignName: 'Spring <b>Sale</b>',
      key: 'k',
    });
    expect(entry.dueDate).toBe('2026-11-20');
    expect(entry.dueTime).toBe('09:15');
    expect(entry.addTime).toBe('2026-11-20 09:15:42');
    expect(entry.subject).toBe('Clicked https://x.org/?a=1&b=<2> in “Spring <b>Sale</b>”');
    expect(entry.note).not.toContain('<b>Sale</b>');
    expect(entry.note).toContain('href="https://x.org/?a=1&amp;b=&lt;2&gt;"');
    expect(entry.note).toContain(eventRef('k'));
  });

  it('does not link a URL that is not http(s), and names the bounce reason', () => {
    const click = entryOf({
      kind: 'click',
      occurredAt: '2026-11-20T09:15:42.000Z',
      detail: { linkUrl: 'javascript:alert(1)' },
      campaignName: 'X',
      key: 'k2',
    });
    expect(click.note).not.toContain('href');
    const bounce = entryOf({
      kind: 'bounce',
      occurredAt: '2026-11-20T09:15:42.000Z',
      detail: { bounceCode: 'B' },
      campaignName: 'X',
      key: 'k3',
    });
    expect(bounce.subject).toBe('Email bounced: “X” (the address does not exist)');
  });
});

describe('bursts and re-reads', () => {
  it('joins an open to a burst within the hour after its first open', () => {
    expect(inBurst('2026-11-20T09:00:00Z', '2026-11-20T09:59:59Z')).toBe(true);
    expect(inBurst('2026-11-20T09:00:00Z', '2026-11-20T10:00:00Z')).toBe(false);
    expect(inBurst('2026-11-20T09:00:00Z', '2026-11-20T08:59:00Z')).toBe(false);
  });

  it('re-reads an unchanged report less often as its campaign ages', () => {
    const day = 86_400_000;
    expect(rereadAfterMs(0, day)).toBe(3_600_000);
    expect(rereadAfterMs(0, 5 * day)).toBe(6 * 3_600_000);
    expect(rereadAfterMs(0, 30 * day)).toBe(day);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson } from '../shared/people.ts';
import { DEMO_ACCOUNT_ID } from './demo.ts';
import { arr, type Harness, obj, startHarness, T0 } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 'demo' });
});
afterAll(() => h.close());

const idOf = (i: number): string => {
  const c = h.fake.control.contactByEmail(DEMO_ACCOUNT_ID, demoPerson(i).email);
  if (!c) throw new Error(`demo person ${i} missing`);
  return c.contact_id;
};

describe('campaign tracking', () => {
  it('records sends, opens, clicks, opt-outs and bounces; lists them newest first with extras', async () => {
    const [a, b, c] = [idOf(0), idOf(1), idOf(2)];
    const { campaignId, campaignActivityId } = h.fake.control.sendCampaign(DEMO_ACCOUNT_ID, {
      name: 'Test blast',
      contactIds: [a, b, c],
      at: T0,
    });
    const rec = (
      kind: 'opens' | 'clicks' | 'optouts' | 'bounces',
      ids: string[],
      at: number,
      extra = {},
    ) =>
      h.fake.control.recordEngagement(DEMO_ACCOUNT_ID, {
        campaignActivityId,
        kind,
        contactIds: ids,
        at,
        ...extra,
      });
    rec('opens', [a], T0 + 1000, { deviceType: 'mobile' });
    rec('opens', [a], T0 + 5000);
    rec('opens', [b], T0 + 3000);
    rec('clicks', [a], T0 + 2000, { linkUrl: 'https://example.com/x' });
    rec('bounces', [c], T0 + 500, { bounceCode: 'F' });
    rec('optouts', [b], T0 + 4000, { optOutReason: 'meh' });

    const base = `/v3/reports/email_reports/${campaignActivityId}/tracking`;
    const opens = arr(obj((await h.call('GET', `${base}/opens`)).body).tracking_activities);
    expect(opens.map((o) => [o.contact_id, o.created_time])).toEqual([
      [a, new Date(T0 + 5000).toISOString()],
      [b, new Date(T0 + 3000).toISOString()],
      [a, new Date(T0 + 1000).toISOString()],
    ]);
    expect(opens[2]?.device_type).toBe('mobile');
    const unique = arr(obj((await h.call('GET', `${base}/unique_opens`)).body).tracking_activities);
    expect(unique.map((o) => o.contact_id).sort()).toEqual([a, b].sort());
    const clicks = arr(obj((await h.call('GET', `${base}/clicks`)).body).tracking_activities);
    expect(clicks[0]).toMatchObject({
      contact_id: a,
      link_url: 'https://example.com/x',
      tracking_activity_type: 'em_clicks',
    });
    const bounces = arr(
      obj((await h.call('GET', `${base}/bounces?bounce_code=F`)).body).tracking_activities,
    );
    expect(bounces.map((x) => x.contact_id)).toEqual([c]);
    const optouts = arr(obj((await h.call('GET', `${base}/optouts`)).body).tracking_activities);
    expect(optouts[0]).toMatchObject({ contact_id: b, opt_out_reason: 'meh' });
    const didnot = arr(obj((await h.call('GET', `${base}/didnotopens`)).body).tracking_activities);
    expect(didnot.map((x) => x.contact_id)).toEqual([c]);
    const sends = arr(obj((await h.call('GET', `${base}/sends?limit=2`)).body).tracking_activities);
    expect(sends.length).toBe(2);

    // An opt-out unsubscribes the contact, by the contact.
    const contact = h.fake.control.contact(DEMO_ACCOUNT_ID, b);
    expect(contact?.email?.permission).toBe('unsubscribed');
    expect(contact?.email?.optOutSource).toBe('Contact');

    const campaign = obj((await h.call('GET', `/v3/emails/${campaignId}`)).body);
    expect(arr(campaign.campaign_activities)[0]).toMatchObject({
      campaign_activity_id: campaignActivityId,
      role: 'primary_email',
    });
  });

  it('pages tracking reports through _links.next and rejects limit > 500', async () => {
    const { campaignActivityId } = h.fake.control.sendCampaign(DEMO_ACCOUNT_ID, {
      name: 'All',
      at: T0 + 10_000,
    });
    const base = `/v3/reports/email_reports/${campaignActivityId}/tracking/sends`;
    const total =
      h.fake.store.account(DEMO_ACCOUNT_ID).campaignActivities.get(campaignActivityId)?.events
        .length ?? 0;
    expect(total).toBeGreaterThan(10);
    let next: string | undefined = `${base}?limit=10`;
    let seen = 0;
    while (next) {
      const body = obj((await h.call('GET', next)).body);
      seen += arr(body.tracking_activities).length;
      const links = obj(body._links);
      next = links.next ? String(obj(links.next).href) : undefined;
    }
    expect(seen).toBe(total);
    expect((await h.call('GET', `${base}?limit=501`)).status).toBe(400);
    expect(
      (
        await h.call(
          'GET',
          '/v3/reports/email_reports/00000000-0000-4000-8000-000000000000/tracking/sends',
        )
      ).status,
    ).toBe(404);
  });

  it('per-contact activity details honour tracking_activities_list and repeated tracking_activity_type', async () => {
    const a = idOf(0);
    const url = `/v3/reports/contact_reports/${a}/activity_details`;
    const listed = arr(
      obj((await h.call('GET', `${url}?tracking_activities_list=em_opens,em_clicks`)).body)
        .tracking_activities,
    );
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed.map((x) => x.tracking_activity_type))).toEqual(
      new Set(['em_opens', 'em_clicks']),
    );
    const times = listed.map((x) => Date.parse(String(x.created_time)));
    expect([...times].sort((p, q) => q - p)).toEqual(times);
    const repeated = arr(
      obj(
        (
          await h.call(
            'GET',
            `${url}?tracking_activity_type=em_opens&tracking_activity_type=em_clicks`,
          )
        ).body,
      ).tracking_activities,
    );
    expect(repeated.length).toBe(listed.length);
    const defaults = arr(obj((await h.call('GET', url)).body).tracking_activities);
    expect(defaults.every((x) => x.tracking_activity_type === 'em_clicks')).toBe(true);
    expect(
      (
        await h.call(
          'GET',
          `${url}?tracking_activities_list=em_opens&tracking_activity_type=em_clicks`,
        )
      ).status,
    ).toBe(400);
  });
});

describe('per-contact summaries', () => {
  it('summarises a contact per campaign activity and computes open/click rates in a date range', async () => {
    const a = idOf(3);
    const first = h.fake.control.sendCampaign(DEMO_ACCOUNT_ID, {
      name: 'R1',
      contactIds: [a],
      at: T0 + 100_000,
    });
    const second = h.fake.control.sendCampaign(DEMO_ACCOUNT_ID, {
      name: 'R2',
      contactIds: [a],
      at: T0 + 200_000,
    });
    h.fake.control.recordEngagement(DEMO_ACCOUNT_ID, {
      campaignActivityId: first.campaignActivityId,
      kind: 'opens',
      contactIds: [a],
      at: T0 + 150_000,
    });
    h.fake.control.recordEngagement(DEMO_ACCOUNT_ID, {
      campaignActivityId: first.campaignActivityId,
      kind: 'clicks',
      contactIds: [a],
      at: T0 + 160_000,
    });
    // From T0 + 50 s: earlier tests in this file sent campaigns to everyone at T0 + 10 s.
    const range = `start=${new Date(T0 + 50_000).toISOString()}&end=${new Date(T0 + 300_000).toISOString()}`;
    const summary = obj(
      (await h.call('GET', `/v3/reports/contact_reports/${a}/activity_summary?${range}`)).body,
    );
    expect(
      arr(summary.campaign_activities).map((x) => [
        x.campaign_activity_id,
        x.em_sends,
        x.em_opens,
        x.em_clicks,
      ]),
    ).toEqual([
      [second.campaignActivityId, 1, 0, 0],
      [first.campaignActivityId, 1, 1, 1],
    ]);
    const rates = obj(
      (await h.call('GET', `/v3/reports/contact_reports/${a}/open_and_click_rates?${range}`)).body,
    );
    expect(rates).toMatchObject({
      included_activities_count: 2,
      average_open_rate: 0.5,
      average_click_rate: 0.5,
    });
  });
});

describe('demo data', () => {
  it('overlaps the Pipedrive demo by email for persons 0..59, has CC-only people, unsubscribed and deleted contacts', () => {
    const account = h.fake.store.account(DEMO_ACCOUNT_ID);
    for (const i of [0, 30, 59, 100, 139])
      expect(account.findByEmail(demoPerson(i).email)).toBeDefined();
    expect(account.findByEmail(demoPerson(60).email)).toBeUndefined();
    expect(account.order.filter((c) => c.deletedAt !== undefined).length).toBeGreaterThan(3);
    expect(
      account.order.filter((c) => c.email?.permission === 'unsubscribed').length,
    ).toBeGreaterThan(5);
    expect(account.campaigns.size).toBeGreaterThanOrEqual(3);
  });

  it('is deterministic: two seeds give identical ids and data', async () => {
    const other = await startHarness({ seed: 'demo' });
    try {
      const pick = (x: Harness) =>
        x.fake.store
          .account(DEMO_ACCOUNT_ID)
          .order.slice(0, 20)
          .map((c) => [c.contact_id, c.email?.address, c.email?.permission]);
      other.fake.control.reset('demo');
      const fresh = await startHarness({ seed: 'demo' });
      expect(pick(other)).toEqual(pick(fresh));
      await fresh.close();
    } finally {
      await other.close();
    }
  });

  it('lists past campaigns with /emails and summaries sorted by last send', async () => {
    const campaigns = arr(obj((await h.call('GET', '/v3/emails?limit=2')).body).campaigns);
    expect(campaigns.length).toBe(2);
    const summaries = arr(
      obj((await h.call('GET', '/v3/reports/summary_reports/email_campaign_summaries')).body)
        .bulk_email_campaign_summaries,
    );
    const dates = summaries.map((s) => Date.parse(String(s.last_sent_date)));
    expect([...dates].sort((p, q) => q - p)).toEqual(dates);
    expect(obj(summaries.at(-1)?.unique_counts).sends).toBeGreaterThan(0);
  });
});

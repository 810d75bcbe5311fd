import { describe, expect, it } from 'vitest';
import {
  callsLeft,
  etaSeconds,
  type RunOutlook,
  type SideBudget,
} from '../../server/sync/engine/eta.ts';

const outlook = (over: Partial<RunOutlook> = {}): RunOutlook => ({
  direction: 'to_cc',
  contactsTotal: 10_000,
  contactsStaged: 0,
  contactsRead: false,
  personsRead: false,
  personsLeft: 0,
  personsLeftWithoutContact: 0,
  contactsLeftWithoutPerson: 0,
  personUpdatesLeft: 0,
  statusesLeft: 0,
  ...over,
});
const plenty = (perSecond: number): SideBudget => ({ perSecond, leftToday: 1e9, perDay: 1e9 });

describe('callsLeft', () => {
  it('counts the CC pages still to read from the account’s count, and one Pipedrive page while reading', () => {
    const [reading] = callsLeft(outlook({ contactsStaged: 2_000 }));
    expect(reading).toEqual({ cc: 16, pipedrive: 1, pipedriveTokens: 10 });
    const [read] = callsLeft(outlook({ contactsRead: true, personsRead: true }));
    expect(read).toEqual({ cc: 0, pipedrive: 0, pipedriveTokens: 0 });
  });

  it('counts imports of 5,000 with their activity read, read-backs of created contacts, and one Pipedrive call per write', () => {
    const [, writing] = callsLeft(
      outlook({
        direction: 'two_way',
        personsLeft: 12_000,
        personsLeftWithoutContact: 1_200,
        contactsLeftWithoutPerson: 30,
        personUpdatesLeft: 5,
        statusesLeft: 7,
      }),
    );
    // 3 imports × (import + activity) + 3 pages of 500 created contacts.
    expect(writing).toEqual({ cc: 9, pipedrive: 42, pipedriveTokens: 210 });
  });

  it('leaves out the writes a direction does not make', () => {
    const left = outlook({
      personsLeft: 600,
      personsLeftWithoutContact: 600,
      contactsLeftWithoutPerson: 50,
      statusesLeft: 3,
    });
    expect(callsLeft({ ...left, direction: 'to_cc' })[1]).toEqual({
      cc: 4,
      pipedrive: 3,
      pipedriveTokens: 15,
    });
    expect(callsLeft({ ...left, direction: 'to_pipedrive' })[1]).toEqual({
      cc: 0,
      pipedrive: 53,
      pipedriveTokens: 265,
    });
  });
});

describe('etaSeconds', () => {
  it('takes the slower side of each stage, one stage after the other', () => {
    const stages = [
      { cc: 20, pipedrive: 2, pipedriveTokens: 20 },
      { cc: 8, pipedrive: 400, pipedriveTokens: 2_000 },
    ];
    // Reading: CC 20 at 4/s = 5 s; writing: Pipedrive 400 at 40/s = 10 s.
    expect(etaSeconds(stages, { cc: plenty(4), pipedrive: plenty(40) }, 86_400)).toBe(15);
  });

  it('waits for tomorrow where today’s budget runs out, and spreads the rest over the next days', () => {
    const stages = [{ cc: 25_000, pipedrive: 0, pipedriveTokens: 0 }];
    const cc = { perSecond: 4, leftToday: 1_000, perDay: 10_000 };
    // 1,000 today (250 s), wait until midnight (3,600 s), 10,000 tomorrow, 10,000 the day after,
    // then 4,000 at 4/s: 2 days + 1,000 s after midnight.
    expect(etaSeconds(stages, { cc, pipedrive: plenty(40) }, 3_600)).toBe(
      3_600 + 2 * 86_400 + 1_000,
    );
  });

  it('counts Pipedrive’s budget in tokens', () => {
    const stages = [{ cc: 0, pipedrive: 100, pipedriveTokens: 500 }];
    const pipedrive = { perSecond: 10, leftToday: 250, perDay: 30_000 };
    // 50 calls fit today (5 s); the other 50 wait for midnight and take 5 s.
    expect(etaSeconds(stages, { cc: plenty(4), pipedrive }, 600)).toBe(605);
  });

  it('is null when a day’s budget is smaller than one call', () => {
    const stages = [{ cc: 0, pipedrive: 1, pipedriveTokens: 5 }];
    const pipedrive = { perSecond: 10, leftToday: 0, perDay: 4 };
    expect(etaSeconds(stages, { cc: plenty(4), pipedrive }, 600)).toBeNull();
  });

  it('is 0 when nothing is left', () => {
    expect(
      etaSeconds(
        callsLeft(outlook({ contactsRead: true, personsRead: true })),
        { cc: plenty(4), pipedrive: plenty(40) },
        100,
      ),
    ).toBe(0);
  });
});

/**
 * What the settings page shows about API budgets (DESIGN.md §7: "used and left on both
 * sides"): for Constant Contact the whole application's use today (CC counts per application
 * key, across every connected account) and this company's own part of it; for Pipedrive the
 * tokens this app spent for the company against its share. Both days start at 00:00 UTC.
 */
import type { Database } from '../db/database.ts';
import { ccKeys, utcDayStart } from './cc-limiter.ts';
import { nextUtcMidnight } from './errors.ts';
import { appLimitOf, dailyBudgetOf } from './pipedrive-budget.ts';

export interface BudgetReadout {
  constantContact?: {
    /** Requests by the whole app today, every account included. */
    appUsed: number;
    appLimit: number;
    appLeft: number;
    /** Requests made for this company's CC account today. */
    accountUsed: number;
    resetsAt: string;
  };
  pipedrive: {
    /** Tokens this app spent for the company today. */
    used: number;
    /** The app's share of the company's daily budget. */
    limit: number;
    left: number;
    /** The company's whole daily budget as known or estimated. */
    dailyBudget: number;
    share: number;
    resetsAt: string;
  };
}

export interface ReadoutInput {
  now?: number;
  pipedrive: { companyId: number; share: number };
  /** Absent when the company has not connected CC (or CC is not configured). */
  constantContact?: { clientId: string; perDay: number; account?: string };
}

export async function readBudgets(db: Database, input: ReadoutInput): Promise<BudgetReadout> {
  const now = input.now ?? Date.now();
  const day = utcDayStart(now);
  const resetsAt = new Date(nextUtcMidnight(now)).toISOString();
  const usedOf = async (provider: 'pipedrive' | 'constant_contact', key: string) =>
    (
      await db
        .selectFrom('api_budget')
        .select('used')
        .where('provider', '=', provider)
        .where('key', '=', key)
        .where('window_start', '=', day)
        .executeTakeFirst()
    )?.used ?? 0;

  const state = await db
    .selectFrom('pipedrive_rate_state')
    .select(['daily_budget', 'burst_limit'])
    .where('company_id', '=', input.pipedrive.companyId)
    .executeTakeFirst();
  const dailyBudget = dailyBudgetOf({
    daily_budget: state?.daily_budget ?? null,
    burst_limit: state?.burst_limit ?? null,
  });
  const limit = appLimitOf(dailyBudget, input.pipedrive.share);
  const pdUsed = await usedOf('pipedrive', String(input.pipedrive.companyId));
  const readout: BudgetReadout = {
    pipedrive: {
      used: pdUsed,
      limit,
      left: Math.max(0, limit - pdUsed),
      dailyBudget,
      share: input.pipedrive.share,
      resetsAt,
    },
  };
  const cc = input.constantContact;
  if (cc) {
    const appUsed = await usedOf('constant_contact', ccKeys.total(cc.clientId));
    readout.constantContact = {
      appUsed,
      appLimit: cc.perDay,
      appLeft: Math.max(0, cc.perDay - appUsed),
      accountUsed: cc.account
        ? await usedOf('constant_contact', ccKeys.account(cc.clientId, cc.account))
        : 0,
      resetsAt,
    };
  }
  return readout;
}

/**
 * The person panel's state: which person (from the iframe URL), its link, errors and history,
 * and the "Resync this person" action.
 */
import type { Api, PersonResponse, SubscriptionResponse } from '../api.ts';
import { type ErrorView, type Load, load, Store, toErrorView } from './store.ts';

/** Pipedrive puts the person id in `selectedIds` (pipedrive-api.md §10.2). */
export function personIdFromUrl(search: string): number | null {
  const raw = new URLSearchParams(search).get('selectedIds')?.split(',')[0];
  const id = Number(raw);
  return Number.isInteger(id) && id > 0 ? id : null;
}

export interface PanelState {
  person: Load<PersonResponse>;
  /** Read from Constant Contact on open (server/http/routes/person.ts says why), so apart. */
  subscription: Load<SubscriptionResponse>;
  resync:
    | { status: 'idle' | 'busy' | 'queued' | 'already_queued' }
    | { status: 'error'; error: ErrorView };
}

export type PanelModel = ReturnType<typeof createPanelModel>;

/** `notify` shows a short confirmation in Pipedrive (the SDK's snackbar). */
export function createPanelModel(
  api: Api,
  personId: number,
  notify: (message: string) => void = () => {},
) {
  const store = new Store<PanelState>({
    person: { status: 'loading' },
    subscription: { status: 'loading' },
    resync: { status: 'idle' },
  });
  const refreshSubscription = async () => {
    store.set({ subscription: { status: 'loading' } });
    store.set({ subscription: await load(() => api.subscription(personId)) });
  };
  // The person's state comes from the app's database and shows at once; the subscription
  // waits for Constant Contact and fills in when it answers.
  const refresh = async () => {
    await Promise.all([
      load(() => api.person(personId)).then((person) => store.set({ person })),
      refreshSubscription(),
    ]);
  };
  return {
    store,
    refresh,
    refreshSubscription,
    async resync(): Promise<void> {
      store.set({ resync: { status: 'busy' } });
      try {
        const { queued } = await api.resyncPerson(personId);
        store.set({ resync: { status: queued ? 'queued' : 'already_queued' } });
        if (queued) notify('Resync of this person queued');
      } catch (error) {
        store.set({ resync: { status: 'error', error: toErrorView(error) } });
      }
    },
  };
}

export interface LinkView {
  tone: 'ok' | 'warn' | 'off';
  headline: string;
  detail: string | null;
}

const LINK_STATES: Record<string, { tone: LinkView['tone']; headline: string }> = {
  active: { tone: 'ok', headline: 'Linked to a Constant Contact contact' },
  person_deleted: { tone: 'warn', headline: 'The person was deleted; the contact was kept' },
  contact_deleted: {
    tone: 'warn',
    headline: 'The contact was deleted in Constant Contact',
  },
  out_of_rule: { tone: 'off', headline: 'Linked, but outside the sync rules: not syncing' },
};

export function linkView(person: PersonResponse): LinkView {
  if (!person.connected) {
    return {
      tone: 'off',
      headline: 'Constant Contact is not connected',
      detail: 'An admin connects it in the app settings.',
    };
  }
  if (!person.link) {
    return {
      tone: 'off',
      headline: 'Not linked to a Constant Contact contact',
      detail: 'The person is linked when it is synced (it must have an email address).',
    };
  }
  const state = LINK_STATES[person.link.state] ?? { tone: 'warn', headline: person.link.state };
  return {
    ...state,
    detail: [
      person.link.email,
      person.link.lastSyncedAt
        ? `last synced ${new Date(person.link.lastSyncedAt).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' })}`
        : 'not synced yet',
    ].join(' · '),
  };
}

const DIRECTIONS: Record<string, string> = {
  to_cc: 'Pipedrive → Constant Contact',
  to_pipedrive: 'Constant Contact → Pipedrive',
  none: '',
};

export function eventLine(event: PersonResponse['events'][number]): string {
  const kind = event.kind.replace(/_/g, ' ');
  const fields = event.fields.length > 0 ? `: ${event.fields.join(', ')}` : '';
  const direction = DIRECTIONS[event.direction] ?? event.direction;
  return [`${kind}${fields}`, direction, event.reason].filter(Boolean).join(' · ');
}

export interface SubscriptionView {
  tone: 'ok' | 'warn' | 'off';
  headline: string;
  detail: string | null;
  lists: string[];
}

/** CC `permission_to_send` in words (reference CC 4.4). */
const PERMISSIONS: Record<string, { tone: SubscriptionView['tone']; words: string }> = {
  implicit: { tone: 'ok', words: 'Subscribed (implicit permission)' },
  explicit: { tone: 'ok', words: 'Subscribed (explicit permission)' },
  pending_confirmation: { tone: 'warn', words: 'Waiting for the contact to confirm' },
  unsubscribed: { tone: 'warn', words: 'Unsubscribed' },
  temp_hold: { tone: 'warn', words: 'On hold' },
  not_set: { tone: 'off', words: 'No permission recorded' },
};

export function subscriptionView(s: SubscriptionResponse): SubscriptionView | null {
  if (s.state === 'not_linked') return null;
  if (s.state === 'contact_missing') {
    return {
      tone: 'warn',
      headline: 'The linked contact is no longer in Constant Contact',
      detail: 'It was deleted there; the sync recreates it when this person next changes.',
      lists: [],
    };
  }
  const known = s.permission ? PERMISSIONS[s.permission] : undefined;
  const unsubscribed = s.permission === 'unsubscribed';
  return {
    tone: known?.tone ?? 'off',
    headline: known?.words ?? (s.permission ? s.permission.replace(/_/g, ' ') : 'Unknown'),
    detail: unsubscribed
      ? [
          s.optOutDate
            ? `opted out ${new Date(s.optOutDate).toLocaleDateString('en', { dateStyle: 'medium' })}`
            : 'opt-out date unknown',
          s.optOutReason,
        ]
          .filter(Boolean)
          .join(' · ')
      : null,
    lists: s.lists.map((l) => l.name),
  };
}

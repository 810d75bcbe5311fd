/**
 * The fake's switches for every UNCONFIRMED point of the reference (§16), with the defaults its
 * **Fake:** lines give, plus the log of attempts to resubscribe opted-out contacts (§4.7).
 */
/** Switches for every UNCONFIRMED point of the reference (§16); defaults are its **Fake:** lines. */
export interface Behaviour {
  /** §4.2: email lookup and uniqueness. */
  emailCaseSensitive: boolean;
  /** §4.5: sub-resource arrays present in a PUT body. */
  putArrays: 'replace' | 'merge';
  /** §4.7: a PUT that tries to move an unsubscribed contact to another permission. */
  unsubscribedPut: 'ignore' | 'reject' | 'allow';
  /** §5: whether a delete moves the contact's updated_at. */
  deleteTouchesUpdatedAt: boolean;
  /** §8: activity_errors strings with or without "Line n:". */
  activityErrorFormat: 'line' | 'plain';
  /** §8/§10: error_key of the queued-activities 429. */
  queuedActivitiesErrorKey: string;
  /** §9.1: type-specific extras in contact activity_details. */
  contactActivityExtras: boolean;
  /** §8: whether a contact export has a `contact_id` column. */
  exportContactId: boolean;
  /** §6: strict value formats for date/number/boolean custom fields. */
  strictCustomFieldValues: boolean;
  /** §9.4: tracking history cut-off, in days; null keeps everything. */
  trackingMaxAgeDays: number | null;
  /** §12: indexing lag of updated_after/created_after/optout_after filters. */
  visibilityLagMs: number;
  /** §10: send Retry-After on 429 (CC sends none). */
  retryAfterHeader: boolean;
}

export const defaultBehaviour: Behaviour = {
  emailCaseSensitive: false,
  putArrays: 'replace',
  unsubscribedPut: 'ignore',
  deleteTouchesUpdatedAt: false,
  activityErrorFormat: 'line',
  queuedActivitiesErrorKey: 'throttled',
  contactActivityExtras: false,
  exportContactId: false,
  strictCustomFieldValues: false,
  trackingMaxAgeDays: null,
  visibilityLagMs: 0,
  retryAfterHeader: false,
};

/** A PUT that tried to resubscribe an opted-out contact (§4.7), kept for tests to assert on. */
export interface PermissionAttempt {
  at: number;
  accountId: string;
  contactId: string;
  requested: string;
  outcome: 'ignored' | 'rejected' | 'allowed';
}

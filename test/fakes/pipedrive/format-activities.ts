/**
 * Wire shapes of activity types (v1, reference 8.2), activities (v2, 8.1) and notes (v1, 8.3).
 */
import { isoTime, v1Time } from './format.ts';
import type { Activity, ActivityType, Note } from './model.ts';
import type { CompanyStore } from './store.ts';

export function activityTypeV1(t: ActivityType): Record<string, unknown> {
  return {
    id: t.id,
    order_nr: t.order_nr,
    name: t.name,
    key_string: t.key_string,
    icon_key: t.icon_key,
    active_flag: t.active_flag,
    color: t.color,
    is_custom_flag: t.is_custom_flag,
    add_time: v1Time(t.add_time),
    update_time: v1Time(t.update_time),
  };
}

export function activityV2(a: Activity): Record<string, unknown> {
  return {
    id: a.id,
    subject: a.subject,
    type: a.type,
    owner_id: a.owner_id,
    creator_user_id: a.creator_user_id,
    is_deleted: a.is_deleted,
    add_time: isoTime(a.add_time),
    update_time: isoTime(a.update_time),
    deal_id: a.deal_id,
    lead_id: a.lead_id,
    person_id: a.person_id,
    org_id: a.org_id,
    project_id: a.project_id,
    due_date: a.due_date,
    due_time: a.due_time,
    duration: a.duration,
    busy: a.busy,
    done: a.done,
    marked_as_done_time: a.marked_as_done_time === null ? null : isoTime(a.marked_as_done_time),
    location: null,
    participants: a.participants.map((p) => ({ ...p })),
    conference_meeting_client: null,
    conference_meeting_url: null,
    conference_meeting_id: null,
    public_description: a.public_description,
    priority: a.priority,
    note: a.note,
  };
}

export function noteV1(n: Note, c: CompanyStore, viewerId: number): Record<string, unknown> {
  const person = n.person_id === null ? undefined : c.persons.get(n.person_id);
  const org = n.org_id === null ? undefined : c.orgs.get(n.org_id);
  const user = c.users.get(n.user_id);
  return {
    id: n.id,
    active_flag: n.active_flag,
    add_time: v1Time(n.add_time),
    update_time: v1Time(n.update_time),
    content: n.content,
    person_id: n.person_id,
    org_id: n.org_id,
    deal_id: n.deal_id,
    lead_id: n.lead_id,
    project_id: null,
    task_id: null,
    person: person ? { name: person.name } : null,
    organization: org ? { name: org.name } : null,
    deal: null,
    project: null,
    task: null,
    user: user
      ? { email: user.email, icon_url: null, is_you: user.id === viewerId, name: user.name }
      : null,
    user_id: n.user_id,
    last_update_user_id: n.user_id,
    pinned_to_person_flag: n.pinned_to_person_flag,
    pinned_to_organization_flag: false,
    pinned_to_deal_flag: false,
    pinned_to_project_flag: false,
    pinned_to_task_flag: false,
  };
}

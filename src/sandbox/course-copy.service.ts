/**
 * "Copy this course", as Canvas's course copy and Moodle's backup/restore do it: a new course with
 * new resource link ids and new gradebook columns, the placements' custom parameters carried over
 * unchanged (so a copied placement still names the original course's activity_id), and no
 * students. Teachers are enrolled again (the same LMS user, so the same sub) when asked — the
 * next term's instructor is usually the same person.
 */
import { randomUUID } from 'node:crypto';
import { Types } from 'mongoose';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, getSandboxCourse, listSandboxPeople, listSandboxPlacements, type SandboxCourseView } from './course.service';
import { createLineItem } from './ags.service';
import { ROLE } from './roles.service';
import { SandboxLineItem } from './ags.models';
import { SandboxPlacement } from './sandbox.models';

const TEACHING = new Set<string>([ROLE.instructor, ROLE.contentDeveloper]);

export async function copySandboxCourse(courseId: string, options: { title?: string; withTeachers?: boolean } = {}): Promise<SandboxCourseView> {
  const original = await getSandboxCourse(courseId);
  const copy = await createSandboxCourse({ title: options.title ?? `${original.title} (copy)`, label: `${original.label}-COPY-${randomUUID().slice(0, 4)}` });
  for (const placement of await listSandboxPlacements(courseId)) {
    const created = await createSandboxPlacement(copy.id, { kind: placement.kind, title: placement.title, url: placement.url || undefined, custom: placement.custom, createdByDeepLink: placement.createdByDeepLink });
    if (!placement.lineItemId) continue;
    const item = await SandboxLineItem.findById(new Types.ObjectId(placement.lineItemId)).lean();
    if (!item) continue;
    const li = await createLineItem(
      copy.id,
      { label: item.label, scoreMaximum: item.scoreMaximum, resourceId: item.resourceId ?? undefined, tag: item.tag ?? undefined, resourceLinkId: created.resourceLinkId },
      { createdByDeepLink: item.createdByDeepLink },
    );
    await SandboxPlacement.updateOne({ _id: new Types.ObjectId(created.id) }, { $set: { lineItemId: li._id } });
  }
  if (options.withTeachers) {
    for (const person of await listSandboxPeople(courseId)) {
      if (!person.roles.some((r) => TEACHING.has(r))) continue;
      await addSandboxPerson(copy.id, { name: person.name, email: person.email, roles: person.roles, sub: person.sub, key: `person:${copy.id}:${person.sub}` });
    }
  }
  return copy;
}

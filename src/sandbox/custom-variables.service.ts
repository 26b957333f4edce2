import type { SandboxCourseView, SandboxPersonView, SandboxPlacementView } from './course.service';

/**
 * Custom parameters the Sandbox's tool configuration always carries, as a Canvas admin would set them.
 * Canvas resolves `$com.instructure.User.observees` to the LTI 1.3 subs of the observed students.
 */
export const TOOL_CONFIG_CUSTOM: Record<string, string> = {
  observees: '$com.instructure.User.observees',
};

export interface SubstitutionContext {
  person: SandboxPersonView;
  menteeSubs: string[];
  course: SandboxCourseView | null;
  placement: SandboxPlacementView;
}

/**
 * Expands `$Variable` values like Canvas. Variables that cannot be filled here (e.g. course variables
 * without a course, or unknown ones such as `$CourseSection.sourcedId`) stay as the literal text —
 * exactly what Canvas does, and what the tool must treat as absent.
 */
export function expandCustom(custom: Record<string, string>, ctx: SubstitutionContext): Record<string, string> {
  const course = ctx.course;
  const values: Record<string, string | undefined> = {
    '$com.instructure.User.observees': course ? ctx.menteeSubs.join(',') : undefined,
    '$User.id': ctx.person.sub,
    '$Person.name.full': ctx.person.name,
    '$Person.name.given': ctx.person.given,
    '$Person.name.family': ctx.person.family,
    '$Person.email.primary': ctx.person.email,
    '$Context.id': course?.id,
    '$Context.title': course?.title,
    '$Context.label': course?.label,
    '$Canvas.course.id': course?.id,
    '$ResourceLink.id': ctx.placement.resourceLinkId,
    '$ResourceLink.title': ctx.placement.title,
  };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(custom)) {
    out[name] = value.startsWith('$') ? (values[value] ?? value) : value;
  }
  return out;
}

import { SandboxCourse, SandboxPerson, SandboxPlacement } from './sandbox.models';
import { presentCourse, presentPerson, presentPlacement, type SandboxPersonView, type SandboxPlacementView } from './course.service';
import { canAddContent, isInstitutionAdmin, shortRoleName } from './roles.service';

const COURSE_LIMIT = 30;

const KIND_LABEL: Record<SandboxPlacementView['kind'], string> = {
  resource_link: 'Activity',
  deep_linking: 'Add activity (deep linking)',
  course_navigation: 'Course navigation',
  account_navigation: 'Account navigation',
};

function mayLaunch(person: SandboxPersonView, placement: SandboxPlacementView): boolean {
  if (placement.kind === 'deep_linking') return canAddContent(person.roles);
  if (placement.kind === 'account_navigation') return isInstitutionAdmin(person.roles);
  return true;
}

const launchUrl = (placement: SandboxPlacementView, person: SandboxPersonView): string => `/sandbox/launch/${placement.id}/${person.id}`;

/** Home page: seeded courses first, then the newest ones (tests create many). */
export async function presentHome() {
  const courseDocs = await SandboxCourse.find().sort({ _id: -1 }).limit(200).lean();
  const ordered = [...courseDocs.filter((c) => c.key.startsWith('seed:')), ...courseDocs.filter((c) => !c.key.startsWith('seed:'))].slice(0, COURSE_LIMIT);
  const courseIds = ordered.map((c) => c._id);
  const [peopleDocs, placementDocs, accountDocs] = await Promise.all([
    SandboxPerson.find({ courseId: { $in: courseIds } }).sort({ _id: 1 }).lean(),
    SandboxPlacement.find({ courseId: { $in: courseIds } }).sort({ _id: 1 }).lean(),
    SandboxPlacement.find({ courseId: null }).sort({ _id: 1 }).limit(20).lean(),
  ]);
  const people = peopleDocs.map(presentPerson);
  const placements = placementDocs.map(presentPlacement);
  const accountPlacements = accountDocs.map(presentPlacement);

  const courses = ordered.map((doc) => {
    const course = presentCourse(doc);
    const coursePeople = people.filter((p) => p.courseId === course.id);
    const coursePlacements = placements.filter((p) => p.courseId === course.id);
    return {
      ...course,
      gradebookUrl: `/sandbox/courses/${course.id}/gradebook`,
      placements: coursePlacements.map((p) => ({ title: p.title, kind: KIND_LABEL[p.kind], hasLineItem: Boolean(p.lineItemId) })),
      people: coursePeople.map((person) => ({
        name: person.name,
        email: person.email,
        roles: person.roles.map(shortRoleName).join(', '),
        launches: coursePlacements.filter((pl) => mayLaunch(person, pl)).map((pl) => ({ label: `${pl.title} (${KIND_LABEL[pl.kind]})`, url: launchUrl(pl, person) })),
      })),
    };
  });

  const admins = people.filter((p) => isInstitutionAdmin(p.roles));
  const account = accountPlacements.map((pl) => ({
    title: pl.title,
    launches: admins.map((person) => ({ label: `${pl.title} as ${person.name}`, url: launchUrl(pl, person) })),
  }));
  return { courses, account, hasAccount: account.length > 0, hasCourses: courses.length > 0 };
}

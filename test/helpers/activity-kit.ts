import { expect } from 'chai';
import { createSandboxPlacement, listSandboxPlacements, type SandboxPlacementView } from '../../src/sandbox';
import { deepLinkAs, returnDeepLink, submitPicker } from './sandbox-launch';
import { testServer } from './test-server';

export interface PlaceActivityInput {
  courseId: string;
  /** A faculty (or designer) member of the course. */
  facultyId: string;
  title: string;
  points: number;
  /** An existing deep-linking placement; one is created when omitted. */
  addActivityPlacementId?: string;
  /** Kind-specific picker fields, e.g. { gradingMode: 'faculty-score' } for a grade faculty send by hand. */
  settings?: Record<string, string | string[]>;
  /** The kind to place (default: the practicum log). */
  activityType?: string;
}

/**
 * Places a practicum-log activity the way faculty do: deep-linking launch, the
 * tool's picker, the signed response posted back to the Sandbox. Returns the
 * resource-link placement the Sandbox created (with its gradebook column).
 */
export async function placeActivity(input: PlaceActivityInput): Promise<SandboxPlacementView> {
  const { baseUrl } = testServer();
  const placementId = input.addActivityPlacementId ?? (await createSandboxPlacement(input.courseId, { kind: 'deep_linking', title: 'Add a Fieldbook activity' })).id;
  const picker = await deepLinkAs(baseUrl, { personId: input.facultyId, placementId });
  expect(picker.status, picker.text).to.equal(200);
  const submitted = await submitPicker(picker.agent, picker.text, { activityType: input.activityType ?? 'practicum-log', title: input.title, pointsPossible: String(input.points), ...input.settings });
  expect(submitted.status, submitted.text).to.equal(200);
  const confirmation = await returnDeepLink(baseUrl, picker.agent, submitted.text);
  expect(confirmation.status, confirmation.text).to.equal(200);
  const placed = (await listSandboxPlacements(input.courseId)).find((p) => p.createdByDeepLink && p.title === input.title);
  expect(placed?.lineItemId, 'the Sandbox created the placement with a gradebook column').to.be.a('string');
  return placed!;
}

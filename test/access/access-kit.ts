import { randomBytes } from 'node:crypto';
import { issueAccessLink, type IssueAccessLinkInput } from '../../src/access';
import { testServer } from '../helpers/test-server';

export const unique = () => randomBytes(4).toString('hex');

/** A mentor-verify link for a fresh mentor and candidate; overrides win. */
export async function buildAccessLink(overrides: Partial<IssueAccessLinkInput> = {}) {
  const id = unique();
  const input: IssueAccessLinkInput = {
    purpose: 'mentor-verify',
    email: `mentor-${id}@school.example`,
    name: `Mona Mentor ${id}`,
    scope: { iss: 'https://lms.example', activityId: `activity-${id}`, candidateSub: `cand-${id}` },
    createdBy: { sub: `fac-${id}`, name: 'Dr. Carla Mendes' },
    display: { candidateName: 'Cara Candidate', activityTitle: 'Practicum log', courseTitle: 'EDL 610' },
    ...overrides,
  };
  const link = await issueAccessLink({ config: testServer().config }, input);
  const token = link.url.split('/access/')[1];
  return { ...link, token, input, path: `/access/${token}` };
}

/** The session token from the redeem redirect (/access/home?s=…). */
export function sessionFromLocation(location: string | undefined): string {
  const s = new URL(location ?? '', 'http://x').searchParams.get('s');
  if (!s) throw new Error(`no session token in redirect ${location}`);
  return s;
}

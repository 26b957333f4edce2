import { expect } from 'chai';
import request from 'supertest';
import { addSandboxPerson, AGS_SCOPES, issueSandboxAccessTokenForTests, NRPS_SCOPE, ROLE } from '../../src/sandbox';
import { testServer } from '../helpers/test-server';
import { buildCourse } from './sandbox-kit';

const MEDIA = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

describe('Sandbox LMS: Names and Role Provisioning Services', () => {
  it('requires a token with the contextmembership.readonly scope', async () => {
    const c = await buildCourse();
    const api = request(testServer().baseUrl);
    const url = `/sandbox/nrps/${c.course.id}/memberships`;
    await api.get(url).expect(401);
    const agsOnly = await issueSandboxAccessTokenForTests([AGS_SCOPES.score]);
    await api.get(url).set('Authorization', `Bearer ${agsOnly}`).expect(403);
  });

  it('returns the roster with the NRPS media type, 10 per page by default, and a next link', async () => {
    const c = await buildCourse();
    for (let i = 0; i < 8; i++) await addSandboxPerson(c.course.id, { name: `Extra ${i}`, roles: 'candidate' });
    const token = await issueSandboxAccessTokenForTests([NRPS_SCOPE]);
    const api = request(testServer().baseUrl);
    const first = await api.get(`/sandbox/nrps/${c.course.id}/memberships`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(first.headers['content-type']).to.include(MEDIA);
    expect(first.body.context).to.deep.equal({ id: c.course.id, label: c.course.label, title: c.course.title });
    expect(first.body.members).to.have.length(10);
    const cara = first.body.members.find((m: { user_id: string }) => m.user_id === c.candidate.sub);
    expect(cara).to.include({ status: 'Active', name: 'Cara Candidate', email: 'cara@example.edu' });
    expect(cara.roles).to.include(ROLE.learner);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.link)?.[1] as string;
    const second = await api.get(pathOf(next)).set('Authorization', `Bearer ${token}`).expect(200);
    expect(second.body.members).to.have.length(3);
    expect(second.headers.link).not.to.match(/rel="next"/);
  });

  it('never pages more than 50 members, like Canvas', async () => {
    const c = await buildCourse();
    await Promise.all(Array.from({ length: 48 }, (_, i) => addSandboxPerson(c.course.id, { name: `Bulk ${i}`, roles: 'candidate' })));
    const token = await issueSandboxAccessTokenForTests([NRPS_SCOPE]);
    const res = await request(testServer().baseUrl).get(`/sandbox/nrps/${c.course.id}/memberships?limit=500`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body.members).to.have.length(50);
    expect(res.headers.link).to.match(/limit=50&page=2>; rel="next"/);
  });

  it('filters by role, full URI or short name', async () => {
    const c = await buildCourse();
    const token = await issueSandboxAccessTokenForTests([NRPS_SCOPE]);
    const api = request(testServer().baseUrl);
    const short = await api.get(`/sandbox/nrps/${c.course.id}/memberships?role=Learner`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(short.body.members.map((m: { user_id: string }) => m.user_id).sort()).to.deep.equal([c.candidate.sub, c.testStudent.sub].sort());
    const full = await api.get(`/sandbox/nrps/${c.course.id}/memberships?role=${encodeURIComponent(ROLE.mentor)}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(full.body.members.map((m: { user_id: string }) => m.user_id)).to.deep.equal([c.mentor.sub]);
  });

  it('answers 404 for an unknown course', async () => {
    const token = await issueSandboxAccessTokenForTests([NRPS_SCOPE]);
    await request(testServer().baseUrl).get('/sandbox/nrps/0123456789abcdef01234567/memberships').set('Authorization', `Bearer ${token}`).expect(404);
  });
});

import { expect } from 'chai';
import mongoose from 'mongoose';
import { minimized, sessionDocumentId } from '../../src/lti/session-keys';
import { addSandboxPerson, createSandboxCourse } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { launchAs } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';

/** ltijs's session documents keyed by _id, so reading a session never scans (session-keys.ts). */
describe('ltijs sessions keyed by _id', () => {
  it('minimizes a raw document as mongoose does: empty objects gone at any depth, everything else kept', () => {
    const at = new Date('2026-10-01T12:00:00Z');
    expect(minimized({ a: {}, b: { c: {}, d: { e: {} } }, f: [], g: [{}], h: null, i: 0, j: '', k: at, l: { m: 1, n: {} }, o: undefined })).to.deep.equal({ f: [], g: [{}], h: null, i: 0, j: '', k: at, l: { m: 1 } });
  });

  it('derives one _id from exactly the lookup fields, and none for other queries', () => {
    const q = { iss: 'https://lms.example', clientId: 'c', deploymentId: 'd', user: 'u' };
    expect(String(sessionDocumentId('idtoken', q))).to.equal(String(sessionDocumentId('idtoken', { user: 'u', deploymentId: 'd', clientId: 'c', iss: 'https://lms.example' })));
    expect(String(sessionDocumentId('idtoken', q))).not.to.equal(String(sessionDocumentId('idtoken', { ...q, user: 'v' })));
    expect(sessionDocumentId('idtoken', { iss: 'x', user: 'u' })).to.equal(null);
    expect(sessionDocumentId('idtoken', { ...q, user: { $ne: null } })).to.equal(null);
    expect(sessionDocumentId('platform', q)).to.equal(null);
    expect(sessionDocumentId('contexttoken', { contextId: 'k', user: 'u' })).to.be.instanceOf(mongoose.Types.ObjectId);
  });

  it('a launch stores the session under its derived _id; a session stored the old way still works', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `Session keys ${suffix}`, label: `SK-${suffix}` });
    const candidate = await addSandboxPerson(course.id, { name: `Kay Keyed ${suffix}`, roles: 'candidate' });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Key ${suffix}`, roles: 'faculty' });
    const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Keyed ${suffix}`, points: 10 });
    const { baseUrl } = testServer();
    const launched = await launchAs(baseUrl, { personId: candidate.id, placementId: placed.id });
    expect(launched.status).to.equal(200);

    const idtokens = mongoose.connection.collection('idtokens');
    const contexttokens = mongoose.connection.collection('contexttokens');
    const [idDoc] = await idtokens.find({ user: candidate.sub }).toArray();
    const [ctxDoc] = await contexttokens.find({ user: candidate.sub }).toArray();
    expect(String(idDoc._id)).to.equal(String(sessionDocumentId('idtoken', { iss: idDoc.iss, clientId: idDoc.clientId, deploymentId: idDoc.deploymentId, user: candidate.sub })));
    expect(String(ctxDoc._id)).to.equal(String(sessionDocumentId('contexttoken', { contextId: ctxDoc.contextId, user: candidate.sub })));
    const page = () => launched.agent.get(`/lti/practicum?ltik=${encodeURIComponent(launched.ltik!)}`);
    expect((await page()).status).to.equal(200);
    // The session is read raw through the driver: ltijs JSON-copies it, and that copy is exactly the
    // copy of the document mongoose would have hydrated (empty objects dropped the same way).
    for (const [name, doc] of [['idtoken', idDoc], ['contexttoken', ctxDoc]] as const) {
      const hydrated = await mongoose.model(name).find({ _id: doc._id }).select('-__v -_id');
      const { _id: _ignored, __v: _v, ...raw } = doc as Record<string, unknown>;
      expect(JSON.parse(JSON.stringify(minimized(raw)))).to.deep.equal(JSON.parse(JSON.stringify(hydrated[0])));
    }

    // Sessions written before the keying (random _ids) are found the old way.
    for (const [collection, doc] of [[idtokens, idDoc], [contexttokens, ctxDoc]] as const) {
      await collection.deleteOne({ _id: doc._id });
      await collection.insertOne({ ...doc, _id: new mongoose.Types.ObjectId() });
    }
    expect((await page()).status).to.equal(200);
    // And with no session documents at all the session has ended.
    await idtokens.deleteMany({ user: candidate.sub });
    expect((await page()).status).to.equal(401);
  });
});

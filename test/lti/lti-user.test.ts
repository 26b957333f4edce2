import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { findLtiUser, ltiUserId, LtiUserModel, recordLaunchUser } from '../../src/lti/lti-user.model';
import { testServer } from '../helpers/test-server';

const person = (iss: string, sub: string, name: string) => ({
  iss,
  sub,
  name,
  email: `${sub}@example.edu`,
  roles: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
  primaryRole: 'candidate',
  isTestUser: false,
  lastLaunchAt: new Date(),
});

describe('lti/lti-user.model (people recorded at launch, keyed by issuer and sub)', () => {
  const iss = `https://lms-${randomBytes(4).toString('hex')}.example.edu`;

  before(() => {
    testServer();
  });

  it('records a person once under ltiUserId(iss, sub) and updates them on the next launch', async () => {
    const sub = `user-${randomBytes(4).toString('hex')}`;
    await recordLaunchUser(person(iss, sub, 'First Name'));
    await recordLaunchUser(person(iss, sub, 'Changed Name'));
    const docs = await LtiUserModel.find({ iss, sub }).lean();
    expect(docs).to.have.length(1);
    expect(docs[0]).to.include({ _id: ltiUserId(iss, sub), name: 'Changed Name' });
    expect(await findLtiUser(iss, sub)).to.include({ name: 'Changed Name' });
  });

  it('a person recorded before people were keyed this way is updated where they are, never duplicated', async () => {
    const sub = `legacy-${randomBytes(4).toString('hex')}`;
    await LtiUserModel.init();
    const legacyId = new mongoose.Types.ObjectId();
    await LtiUserModel.collection.insertOne({ _id: legacyId as never, ...person(iss, sub, 'Legacy Name') });
    await recordLaunchUser(person(iss, sub, 'Relaunched Name'));
    const docs = await LtiUserModel.find({ iss, sub }).lean();
    expect(docs).to.have.length(1);
    expect(String(docs[0]._id)).to.equal(String(legacyId));
    expect(docs[0].name).to.equal('Relaunched Name');
    expect(await findLtiUser(iss, sub)).to.include({ name: 'Relaunched Name' });
  });

  it('issuers cannot collide: the same sub at two issuers is two people', async () => {
    const sub = `shared-${randomBytes(4).toString('hex')}`;
    const other = `${iss}.other`;
    await recordLaunchUser(person(iss, sub, 'At One'));
    await recordLaunchUser(person(other, sub, 'At Other'));
    expect(await findLtiUser(iss, sub)).to.include({ name: 'At One' });
    expect(await findLtiUser(other, sub)).to.include({ name: 'At Other' });
  });
});

import { expect } from 'chai';
import { mapRoles, parseRole, RoleClaimError } from '../../src/lti/roles';

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2';
const M = `${LIS}/membership#`;
const INST = `${LIS}/institution/person#`;
const SYS = `${LIS}/system/person#`;
const TEST_USER_LTI = 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser';
const TA = `${LIS}/membership/Instructor#TeachingAssistant`;

describe('lti/roles mapRoles', () => {
  describe('full LIS v2 URIs', () => {
    const cases: Array<[string, string[], string]> = [
      ['membership#Instructor', [`${M}Instructor`], 'faculty'],
      ['membership#Learner', [`${M}Learner`], 'candidate'],
      ['membership#Mentor', [`${M}Mentor`], 'mentor'],
      ['membership#ContentDeveloper', [`${M}ContentDeveloper`], 'designer'],
      ['membership#Administrator', [`${M}Administrator`], 'coordinator'],
      ['Instructor#TeachingAssistant sub-role', [TA], 'faculty'],
      ['Instructor#Grader sub-role', [`${LIS}/membership/Instructor#Grader`], 'faculty'],
      ['Learner#NonCreditLearner sub-role', [`${LIS}/membership/Learner#NonCreditLearner`], 'candidate'],
      ['Mentor#Advisor sub-role', [`${LIS}/membership/Mentor#Advisor`], 'mentor'],
      ['institution/person#Administrator', [`${INST}Administrator`], 'coordinator'],
      ['system/person#Administrator', [`${SYS}Administrator`], 'coordinator'],
      ['system/person#SysAdmin (Canvas site admin)', [`${SYS}SysAdmin`], 'coordinator'],
    ];
    for (const [name, roles, primary] of cases) {
      it(`${name} → ${primary}`, () => {
        expect(mapRoles({ roles }).primary).to.equal(primary);
      });
    }

    it('system/person#TestUser (lis and lti vocabularies) marks a test user', () => {
      expect(mapRoles({ roles: [`${M}Learner`, `${SYS}TestUser`] }).isTestUser).to.equal(true);
      expect(mapRoles({ roles: [`${M}Learner`, TEST_USER_LTI] }).isTestUser).to.equal(true);
      expect(mapRoles({ roles: [`${M}Learner`] }).isTestUser).to.equal(false);
    });
  });

  describe('deprecated short names', () => {
    const cases: Array<[string, string]> = [
      ['Instructor', 'faculty'],
      ['Learner', 'candidate'],
      ['Mentor', 'mentor'],
      ['ContentDeveloper', 'designer'],
      ['Administrator', 'coordinator'],
      ['TeachingAssistant', 'faculty'],
    ];
    for (const [role, primary] of cases) {
      it(`"${role}" → ${primary}`, () => {
        expect(mapRoles({ roles: [role] }).primary).to.equal(primary);
      });
    }

    it('"Administrator" short form counts as administrator', () => {
      expect(mapRoles({ roles: ['Administrator'] }).isAdministrator).to.equal(true);
    });
  });

  describe('LTI 1.1 URNs', () => {
    const cases: Array<[string, string]> = [
      ['urn:lti:role:ims/lis/Instructor', 'faculty'],
      ['urn:lti:role:ims/lis/Learner', 'candidate'],
      ['urn:lti:role:ims/lis/Mentor', 'mentor'],
      ['urn:lti:role:ims/lis/ContentDeveloper', 'designer'],
      ['urn:lti:role:ims/lis/TeachingAssistant', 'faculty'],
      ['urn:lti:role:ims/lis/Instructor/TeachingAssistant', 'faculty'],
      ['urn:lti:role:ims/lis/Administrator', 'coordinator'],
      ['urn:lti:instrole:ims/lis/Administrator', 'coordinator'],
      ['urn:lti:sysrole:ims/lis/Administrator', 'coordinator'],
      ['urn:lti:instrole:ims/lis/Instructor', 'faculty'],
      ['urn:lti:instrole:ims/lis/Student', 'candidate'],
    ];
    for (const [role, primary] of cases) {
      it(`${role} → ${primary}`, () => {
        expect(mapRoles({ roles: [role] }).primary).to.equal(primary);
      });
    }
  });

  describe('institution roles when the launch has no membership role (1EdTech reference platform deep linking)', () => {
    it('only institution Instructor → faculty', () => {
      const m = mapRoles({ roles: [`${INST}Instructor`], context: undefined });
      expect(m).to.include({ primary: 'faculty', isAdministrator: false });
      expect(m.roles).to.deep.equal(['faculty']);
      expect(mapRoles({ roles: [`${INST}Instructor`, `${SYS}User`] }).roles).to.deep.equal(['faculty']);
    });

    it('only institution Learner or Student → candidate', () => {
      expect(mapRoles({ roles: [`${INST}Learner`] }).roles).to.deep.equal(['candidate']);
      expect(mapRoles({ roles: [`${INST}Student`, `${SYS}User`] }).roles).to.deep.equal(['candidate']);
      expect(mapRoles({ roles: [`${INST}Student`, `${INST}Instructor`] }).roles).to.deep.equal(['faculty', 'candidate']);
    });

    it('a membership role always wins: membership Learner + institution Instructor → candidate', () => {
      expect(mapRoles({ roles: [`${INST}Instructor`, `${M}Learner`] }).roles).to.deep.equal(['candidate']);
      expect(mapRoles({ roles: [`${INST}Instructor`, 'Learner'] }).roles, 'short names are membership roles').to.deep.equal(['candidate']);
    });

    it('institution Instructor + membership Mentor → mentor', () => {
      const m = mapRoles({ roles: [`${INST}Instructor`, `${M}Mentor`], roleScopeMentor: ['sub-a'] });
      expect(m.roles).to.deep.equal(['mentor']);
      expect(m.menteeSubs).to.deep.equal(['sub-a']);
    });

    it('an unmapped membership role still counts as a membership role: no fallback', () => {
      expect(mapRoles({ roles: [`${INST}Instructor`, `${LIS}/membership/Administrator#ExternalDeveloper`] }).roles).to.deep.equal(['candidate']);
    });

    it('system roles alone do not elevate', () => {
      for (const roles of [[`${SYS}User`], [`${SYS}Instructor`], [`${SYS}Creator`, `${SYS}SysSupport`, `${SYS}AccountAdmin`], ['urn:lti:sysrole:ims/lis/Instructor']]) {
        expect(mapRoles({ roles }).roles, roles.join(' ')).to.deep.equal(['candidate']);
      }
    });

    it('Administrator handling is unchanged: institution Administrator + Instructor → coordinator and faculty', () => {
      expect(mapRoles({ roles: [`${INST}Administrator`, `${INST}Instructor`] })).to.include({ primary: 'coordinator', isAdministrator: true });
      expect(mapRoles({ roles: [`${INST}Administrator`, `${INST}Instructor`] }).roles).to.deep.equal(['coordinator', 'faculty']);
    });
  });

  describe('Canvas role sets', () => {
    it('Teacher: Instructor + institution Instructor + system User → faculty only', () => {
      const m = mapRoles({ roles: [`${M}Instructor`, `${INST}Instructor`, `${SYS}User`] });
      expect(m.primary).to.equal('faculty');
      expect(m.roles).to.deep.equal(['faculty']);
      expect(m.isAdministrator).to.equal(false);
    });

    it('TA: TeachingAssistant sub-role + Instructor → faculty', () => {
      const m = mapRoles({ roles: [TA, `${M}Instructor`, `${INST}Student`, `${SYS}User`] });
      expect(m.roles).to.deep.equal(['faculty']);
    });

    it('Designer: ContentDeveloper → designer', () => {
      const m = mapRoles({ roles: [`${M}ContentDeveloper`, `${INST}Instructor`, `${SYS}User`] });
      expect(m.primary).to.equal('designer');
      expect(m.roles).to.deep.equal(['designer']);
    });

    it('Observer: Mentor → mentor', () => {
      const m = mapRoles({ roles: [`${M}Mentor`, `${SYS}User`] });
      expect(m.primary).to.equal('mentor');
    });

    it('Student: Learner + institution Student → candidate', () => {
      const m = mapRoles({ roles: [`${M}Learner`, `${INST}Student`, `${SYS}User`] });
      expect(m).to.include({ primary: 'candidate', isTestUser: false, isAdministrator: false });
    });

    it('Student View: Learner + TestUser → candidate and a test user', () => {
      const m = mapRoles({ roles: [`${M}Learner`, TEST_USER_LTI, `${SYS}User`] });
      expect(m).to.include({ primary: 'candidate', isTestUser: true });
    });

    it('a student who is faculty elsewhere (institution Instructor) stays a candidate in this course', () => {
      const m = mapRoles({ roles: [`${M}Learner`, `${INST}Instructor`, `${SYS}User`] });
      expect(m.roles).to.deep.equal(['candidate']);
    });

    it('account admin on account_navigation (no context, institution Administrator) → coordinator', () => {
      const m = mapRoles({ roles: [`${INST}Administrator`, `${SYS}User`], context: undefined });
      expect(m).to.include({ primary: 'coordinator', isAdministrator: true });
    });

    it('teacher who is also an account admin holds coordinator first, then faculty', () => {
      const m = mapRoles({ roles: [`${M}Instructor`, `${INST}Administrator`] });
      expect(m.roles).to.deep.equal(['coordinator', 'faculty']);
    });
  });

  describe('Moodle role sets', () => {
    it('teacher: Instructor → faculty', () => {
      expect(mapRoles({ roles: [`${M}Instructor`] }).primary).to.equal('faculty');
    });

    it('student: Learner → candidate', () => {
      expect(mapRoles({ roles: [`${M}Learner`] }).primary).to.equal('candidate');
    });

    it('site admin: Instructor + system and institution Administrator → coordinator', () => {
      const m = mapRoles({ roles: [`${M}Instructor`, `${SYS}Administrator`, `${INST}Administrator`] });
      expect(m).to.include({ primary: 'coordinator', isAdministrator: true });
      expect(m.roles).to.deep.equal(['coordinator', 'faculty']);
    });
  });

  describe('coordinator placement (custom parameters)', () => {
    it('fieldbook_role=coordinator makes an Instructor a coordinator', () => {
      const m = mapRoles({ roles: [`${M}Instructor`], custom: { fieldbook_role: 'coordinator' } });
      expect(m.primary).to.equal('coordinator');
      expect(m.isAdministrator).to.equal(false);
    });

    it('coordinator_view=true (string or boolean) makes an Instructor a coordinator', () => {
      expect(mapRoles({ roles: [`${M}Instructor`], custom: { coordinator_view: 'true' } }).primary).to.equal('coordinator');
      expect(mapRoles({ roles: ['Instructor'], custom: { coordinator_view: true } }).primary).to.equal('coordinator');
    });

    it('is ignored for a Learner', () => {
      const m = mapRoles({ roles: [`${M}Learner`], custom: { fieldbook_role: 'coordinator', coordinator_view: 'true' } });
      expect(m.roles).to.deep.equal(['candidate']);
    });

    it('is ignored for a Mentor, a ContentDeveloper and for institution-only Instructors (faculty by the fallback, not coordinator)', () => {
      const custom = { fieldbook_role: 'coordinator' };
      expect(mapRoles({ roles: [`${M}Mentor`], custom }).primary).to.equal('mentor');
      expect(mapRoles({ roles: [`${M}ContentDeveloper`], custom }).primary).to.equal('designer');
      expect(mapRoles({ roles: [`${INST}Instructor`], custom }).roles).to.deep.equal(['faculty']);
    });

    it('is ignored when the value is an unsubstituted variable or another value', () => {
      expect(mapRoles({ roles: [`${M}Instructor`], custom: { fieldbook_role: '$Canvas.role' } }).primary).to.equal('faculty');
      expect(mapRoles({ roles: [`${M}Instructor`], custom: { coordinator_view: 'false' } }).primary).to.equal('faculty');
    });

    it('cannot grant any other role', () => {
      expect(mapRoles({ roles: [`${M}Learner`], custom: { fieldbook_role: 'faculty' } }).roles).to.deep.equal(['candidate']);
    });
  });

  describe('precedence', () => {
    it('coordinator > faculty > designer > mentor > candidate', () => {
      const m = mapRoles({ roles: [`${M}Learner`, `${M}Mentor`, `${M}ContentDeveloper`, `${M}Instructor`, `${M}Administrator`] });
      expect(m.roles).to.deep.equal(['coordinator', 'faculty', 'designer', 'mentor', 'candidate']);
      expect(m.primary).to.equal('coordinator');
    });

    it('faculty beats designer and candidate', () => {
      expect(mapRoles({ roles: [`${M}Learner`, `${M}ContentDeveloper`, `${M}Instructor`] }).primary).to.equal('faculty');
    });

    it('designer beats mentor', () => {
      expect(mapRoles({ roles: [`${M}Mentor`, `${M}ContentDeveloper`] }).primary).to.equal('designer');
    });

    it('mentor beats candidate', () => {
      expect(mapRoles({ roles: [`${M}Learner`, `${M}Mentor`] }).primary).to.equal('mentor');
    });
  });

  describe('administrator sub-roles', () => {
    it('membership Administrator#ExternalDeveloper grants nothing', () => {
      const m = mapRoles({ roles: [`${LIS}/membership/Administrator#ExternalDeveloper`] });
      expect(m).to.include({ primary: 'candidate', isAdministrator: false });
    });

    it('membership Administrator#Administrator is an administrator', () => {
      expect(mapRoles({ roles: [`${LIS}/membership/Administrator#Administrator`] }).isAdministrator).to.equal(true);
    });
  });

  describe('empty, unknown and missing roles', () => {
    it('an empty roles array is valid and least privilege (candidate)', () => {
      const m = mapRoles({ roles: [] });
      expect(m).to.deep.equal({ primary: 'candidate', roles: ['candidate'], isTestUser: false, isAdministrator: false, menteeSubs: [], raw: [] });
    });

    it('unknown roles are kept in raw and map to candidate', () => {
      const roles = ['http://example.com/roles#Wizard', `${M}Manager`, 'Guest', 'not a role at all', `${SYS}User`];
      const m = mapRoles({ roles });
      expect(m.roles).to.deep.equal(['candidate']);
      expect(m.raw).to.deep.equal(roles);
    });

    it('non-string entries are ignored', () => {
      const m = mapRoles({ roles: [42, null, { role: 'Instructor' }, `${M}Mentor`] });
      expect(m.roles).to.deep.equal(['mentor']);
      expect(m.raw).to.deep.equal([`${M}Mentor`]);
    });

    for (const [name, roles] of [
      ['undefined', undefined],
      ['null', null],
      ['a string', `${M}Instructor`],
      ['an object', { 0: `${M}Instructor` }],
    ] as Array<[string, unknown]>) {
      it(`a roles claim that is ${name} throws RoleClaimError`, () => {
        expect(() => mapRoles({ roles })).to.throw(RoleClaimError);
      });
    }

    it('RoleClaimError carries a 400 status and a stable id', () => {
      try {
        mapRoles({ roles: undefined });
        expect.fail('should have thrown');
      } catch (err) {
        expect(err).to.be.instanceOf(RoleClaimError);
        expect((err as RoleClaimError).status).to.equal(400);
        expect((err as RoleClaimError).id).to.equal('roles_claim_missing');
      }
    });
  });

  describe('mentees', () => {
    const mentor = [`${M}Mentor`];

    it('reads custom observees (comma separated, trimmed, de-duplicated)', () => {
      const m = mapRoles({ roles: mentor, custom: { observees: ' sub-a, sub-b,,sub-a ' }, roleScopeMentor: ['legacy-1'] });
      expect(m.menteeSubs).to.deep.equal(['sub-a', 'sub-b']);
    });

    it('reads the Canvas variable key $com.instructure.User.observees', () => {
      const m = mapRoles({ roles: mentor, custom: { '$com.instructure.User.observees': 'sub-c' } });
      expect(m.menteeSubs).to.deep.equal(['sub-c']);
    });

    it('falls back to role_scope_mentor when the custom value is an unsubstituted variable', () => {
      const m = mapRoles({ roles: mentor, custom: { observees: '$com.instructure.User.observees' }, roleScopeMentor: ['rsm-1', 'rsm-2'] });
      expect(m.menteeSubs).to.deep.equal(['rsm-1', 'rsm-2']);
    });

    it('falls back to role_scope_mentor without custom parameters', () => {
      expect(mapRoles({ roles: mentor, roleScopeMentor: ['rsm-1', 7, ''] }).menteeSubs).to.deep.equal(['rsm-1']);
    });

    it('an empty substituted custom value means no mentees (role_scope_mentor is not used)', () => {
      expect(mapRoles({ roles: mentor, custom: { observees: '' }, roleScopeMentor: ['legacy'] }).menteeSubs).to.deep.equal([]);
    });

    it('ignores a non-array role_scope_mentor', () => {
      expect(mapRoles({ roles: mentor, roleScopeMentor: 'rsm-1' }).menteeSubs).to.deep.equal([]);
    });

    it('reports no mentees for someone who is not a mentor', () => {
      expect(mapRoles({ roles: [`${M}Learner`], custom: { observees: 'sub-a' }, roleScopeMentor: ['x'] }).menteeSubs).to.deep.equal([]);
    });
  });

  describe('parseRole', () => {
    it('parses full, sub-role, URN and short forms into one shape', () => {
      expect(parseRole(TA)).to.deep.equal({ level: 'membership', role: 'Instructor', subRole: 'TeachingAssistant' });
      expect(parseRole(`${INST}Administrator`)).to.deep.equal({ level: 'institution', role: 'Administrator' });
      expect(parseRole('urn:lti:sysrole:ims/lis/SysAdmin')).to.deep.equal({ level: 'system', role: 'SysAdmin' });
      expect(parseRole('Learner')).to.deep.equal({ level: 'membership', role: 'Learner' });
      expect(parseRole('https://evil.example/membership#Instructor')).to.equal(null);
    });
  });
});

import { expect } from 'chai';
import { gradeChangeFor } from '../../src/practicum/practicum-grade';
import { defaultSettings, frameworkElements, practicumSettingsFormSchema, readSettings, settingsFromForm } from '../../src/practicum/practicum-settings';
import { allowedFrom, nextStatus } from '../../src/practicum/practicum.transitions';
import { computeProgress } from '../../src/practicum/progress.service';
import { packLabel, RULE_PACKS, rulePack } from '../../src/practicum/rule-packs';
import { parseForm } from '../../src/platform/validate';

describe('practicum rule packs, settings, transitions and grade', () => {
  it('ships the packs from the internship rules with their numbers, labelled as program defaults', () => {
    expect(RULE_PACKS['nelp-building']).to.include({ requiredHours: 300, minWeeks: 26 });
    expect(RULE_PACKS['nelp-building'].weeklyHours).to.deep.equal({ min: 10, max: 15 });
    expect(RULE_PACKS.ucea.requiredHours).to.equal(300);
    expect(RULE_PACKS.texas).to.include({ requiredHours: 160, notOnlyInSummer: true });
    expect(RULE_PACKS.virginia.requiredSettings.minDistinctSites).to.equal(5);
    expect(RULE_PACKS.pennsylvania).to.include({ requiredHours: 360, minWeeks: 52 });
    expect(RULE_PACKS.illinois.excludedCategories).to.include.members(['lunch-recess-supervision', 'coursework']);
    expect(RULE_PACKS.illinois.requiredSettings.populations).to.include.members(['special-education', 'bilingual', 'gifted']);
    expect(packLabel(RULE_PACKS.texas)).to.equal('Program defaults based on Texas Administrative Code ch. 228');
    expect(rulePack('nope').id).to.equal('nelp-building');
  });

  it('a blank picker form takes every default of the pack', () => {
    const parsed = parseForm(practicumSettingsFormSchema, {});
    expect(parsed.ok).to.equal(true);
    if (parsed.ok) expect(settingsFromForm(parsed.value)).to.deep.equal(defaultSettings('nelp-building'));
  });

  it('typed values override the pack; checked settings add to the pack’s own', () => {
    const parsed = parseForm(practicumSettingsFormSchema, { rulePackId: 'illinois', requiredHours: '250', min_coursework: '', 'min_observation-feedback': '20', gradeBands: 'central-office', frameworkId: 'NELP-2018-building', termStart: '2026-09-01', termEnd: '2027-05-31', gradingMode: 'faculty-score', partialCredit: 'hide' });
    expect(parsed.ok).to.equal(true);
    if (!parsed.ok) return;
    const s = settingsFromForm(parsed.value);
    expect(s).to.include({ rulePackId: 'illinois', requiredHours: 250, frameworkId: 'NELP-2018-building', termStart: '2026-09-01', gradingMode: 'faculty-score', partialCredit: 'hide' });
    expect(s.categoryMinimums).to.deep.equal([{ category: 'observation-feedback', minimumHours: 20 }]);
    expect(s.requiredSettings.gradeBands).to.deep.equal(['early-childhood', 'elementary', 'middle', 'high', 'central-office']);
    expect(readSettings(s)).to.deep.equal(s);
  });

  it('rejects bad settings with per-field messages', () => {
    const parsed = parseForm(practicumSettingsFormSchema, { rulePackId: 'mars', requiredHours: 'lots', termStart: '2027-01-01', termEnd: '2026-01-01', gradeBands: ['moon'], partialCredit: 'sometimes' });
    expect(parsed.ok).to.equal(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors)).to.include.members(['rulePackId', 'requiredHours', 'gradeBands.0', 'partialCredit']);
    const order = parseForm(practicumSettingsFormSchema, { termStart: '2027-01-01', termEnd: '2026-01-01' });
    expect(order.ok ? null : order.errors.termEnd).to.equal('The term must end after it starts.');
    expect(readSettings({ junk: true })).to.deep.equal(defaultSettings());
  });

  it('lists a framework’s standards and named components', () => {
    const ids = frameworkElements('NELP-2018-building').map((e) => e.id);
    expect(ids).to.include.members(['1', '6.1', '7.4', '8.2']);
    expect(frameworkElements('PSEL-2015')).to.have.length(10);
  });

  it('state machine: who may move an entry from where', () => {
    const strict = { requiresMentorVerification: true };
    const loose = { requiresMentorVerification: false };
    expect(nextStatus('draft', 'submit', 'candidate', strict)).to.equal('submitted');
    expect(nextStatus('returned', 'edit', 'candidate', strict)).to.equal('draft');
    expect(nextStatus('submitted', 'edit', 'candidate', strict)).to.equal(null);
    expect(nextStatus('submitted', 'verify', 'mentor', strict)).to.equal('verified');
    expect(nextStatus('submitted', 'verify', 'candidate', strict)).to.equal(null);
    expect(nextStatus('verified', 'return', 'mentor', strict)).to.equal(null);
    expect(nextStatus('submitted', 'approve', 'faculty', strict)).to.equal(null);
    expect(nextStatus('submitted', 'approve', 'faculty', loose)).to.equal('approved');
    expect(nextStatus('verified', 'approve', 'mentor', strict)).to.equal(null);
    expect(nextStatus('approved', 'return', 'faculty', strict)).to.equal('returned');
    expect(allowedFrom('approve', 'candidate', strict)).to.deep.equal([]);
  });

  describe('completion grade', () => {
    const settings = { ...defaultSettings('custom'), requiredHours: 4 };
    const rules = { ...RULE_PACKS.custom, requiredHours: 4 };
    const e = (minutes: number) => ({ id: String(minutes), status: 'approved' as const, date: '2026-10-01', minutes, category: 'other', site: { name: 'S', district: '', gradeBand: 'high', populations: [] } });
    const activity = { _id: 'a1', iss: 'iss', contextId: 'ctx', pointsPossible: 50 };
    const summary = (minutes: number) => computeProgress([e(minutes)], rules, { start: null, end: null }, '2026-10-10');
    const change = (minutes: number, previousScore: number | null, partialCredit: 'show' | 'hide' = 'show') =>
      gradeChangeFor({ activity, settings: { ...settings, partialCredit }, summary: summary(minutes), candidateSub: 'u1', previousScore });

    it('shows partial credit by default: proportional, always FullyGraded (the only progress Canvas and Moodle both write)', () => {
      expect(defaultSettings().partialCredit).to.equal('show');
      expect(change(120, null)).to.include({ scoreGiven: 25, scoreMaximum: 50, gradingProgress: 'FullyGraded', activityProgress: 'InProgress', userId: 'u1' });
      expect(change(240, 25)).to.include({ scoreGiven: 50, gradingProgress: 'FullyGraded', activityProgress: 'Completed' });
      expect(change(120, 50), 'an approval taken back lowers the grade').to.include({ scoreGiven: 25, gradingProgress: 'FullyGraded', activityProgress: 'InProgress' });
    });

    it('hides partial credit: nothing until complete, then full points; a drop below complete clears the grade', () => {
      expect(change(120, null, 'hide'), 'nothing to send before completion').to.equal(null);
      expect(change(240, null, 'hide')).to.include({ scoreGiven: 50, gradingProgress: 'FullyGraded', activityProgress: 'Completed' });
      const cleared = change(120, 50, 'hide');
      expect(cleared).to.include({ scoreGiven: null, scoreMaximum: 50, gradingProgress: 'FullyGraded', activityProgress: 'InProgress' });
      expect(cleared?.comment).to.match(/2 of 4 hours approved; the grade shows once every requirement is met/);
      expect(change(60, null, 'hide'), 'already cleared').to.equal(null);
    });

    it('sends nothing when unchanged or in faculty-score mode', () => {
      expect(change(240, 50)).to.equal(null);
      expect(gradeChangeFor({ activity, settings: { ...settings, gradingMode: 'faculty-score' }, summary: summary(240), candidateSub: 'u1', previousScore: null })).to.equal(null);
    });

    it('stored settings from before the partial-credit choice keep their values and show partial credit', () => {
      const { partialCredit: _omitted, ...before } = { ...settings, requiredHours: 77 };
      expect(readSettings(before)).to.include({ requiredHours: 77, partialCredit: 'show' });
      expect(readSettings({ ...before, partialCredit: 'hide' }).partialCredit).to.equal('hide');
    });
  });
});

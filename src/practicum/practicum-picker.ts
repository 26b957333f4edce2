/**
 * The practicum fieldset of the deep-linking picker: option lists with what the person typed (or
 * the defaults) selected, so a failed form re-renders with every value kept.
 */
import { ACTIVITY_CATEGORIES, DEFAULT_RULE_PACK, FRAMEWORK_IDS, GRADE_BANDS, POPULATIONS, RULE_PACKS, packLabel } from './rule-packs';
import { typedList, typedText } from '../platform/validate';
import { frameworkTitle, GRADING_MODES, PARTIAL_CREDIT_MODES } from './practicum-settings';

/** `values` may be a request body as posted (JSON included): only its text is shown. */
export function presentPracticumPicker(values: Record<string, unknown> = {}) {
  const packId = typedText(values.rulePackId) || DEFAULT_RULE_PACK;
  const bands = typedList(values.gradeBands);
  const populations = typedList(values.populations);
  return {
    rulePacks: Object.values(RULE_PACKS).map((p) => ({ value: p.id, label: `${p.name} — ${p.requiredHours ? `${p.requiredHours} h` : 'competency-based'}`, hint: packLabel(p), selected: p.id === packId })),
    requiredHours: typedText(values.requiredHours),
    minDistinctSites: typedText(values.minDistinctSites),
    categories: Object.entries(ACTIVITY_CATEGORIES).map(([id, label]) => ({ id, label, name: `min_${id}`, value: typedText(values[`min_${id}`]) })),
    gradeBands: Object.entries(GRADE_BANDS).map(([value, label]) => ({ value, label, checked: bands.includes(value) })),
    // No rule pack requires a Title I setting; leaving it off keeps the picker's labels unambiguous.
    populations: Object.entries(POPULATIONS).filter(([value]) => value !== 'title-i').map(([value, label]) => ({ value, label, checked: populations.includes(value) })),
    frameworks: FRAMEWORK_IDS.map((id) => ({ value: id, label: frameworkTitle(id), selected: id === typedText(values.frameworkId) })),
    termStart: typedText(values.termStart),
    termEnd: typedText(values.termEnd),
    gradingModes: Object.entries(GRADING_MODES).map(([value, label]) => ({ value, label, checked: value === (typedText(values.gradingMode) || 'completion') })),
    partialCreditModes: Object.entries(PARTIAL_CREDIT_MODES).map(([value, label]) => ({ value, label, checked: value === (typedText(values.partialCredit) || 'show') })),
  };
}

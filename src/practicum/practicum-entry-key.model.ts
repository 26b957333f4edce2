import mongoose, { Schema } from 'mongoose';

/**
 * Form token → the entry its first post created. Inserting the key (unique _id, atomic on both
 * servers) is what makes "create" idempotent: a form sent again creates nothing new. Kept with the
 * entry (a few bytes per entry); found by _id alone (no scan on the embedded database).
 */
const entryKeySchema = new Schema(
  {
    _id: { type: String, required: true },
    entryId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'practicum_entry_keys', versionKey: false },
);

export const PracticumEntryKeyModel = mongoose.model('PracticumEntryKey', entryKeySchema);

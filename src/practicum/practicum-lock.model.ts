import mongoose, { Schema } from 'mongoose';

/**
 * Short locks serializing one candidate's progress writes (progress-store.ts withCandidateLock).
 * Inserting the _id is the lock: a unique-_id insert is atomic on MongoDB and on the embedded
 * FerretDB, where updates are read-then-write. A lock whose holder died is taken over after its lease.
 */
const lockSchema = new Schema(
  {
    _id: { type: String, required: true },
    owner: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'practicum_locks', versionKey: false },
);

export const PracticumLockModel = mongoose.model('PracticumLock', lockSchema);

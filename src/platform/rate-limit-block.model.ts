import mongoose, { Schema, type Model } from 'mongoose';

/**
 * A block of requests one instance may admit for one key (a client address) in one fixed window:
 * `_id` is `<limiter>:<limit>|<key>|<window start>#<n>`, n from 1 to the window's number of blocks. The
 * unique _id is what keeps all instances together at the limit: an insert creates the block or
 * fails, where a shared counter with $inc loses updates on FerretDB (read-modify-write).
 */
export interface RateLimitBlock {
  _id: string;
  /** When the window ends; ended windows are deleted in code (no TTL indexes on FerretDB). */
  expiresAt: Date;
}

const schema = new Schema<RateLimitBlock>(
  {
    _id: { type: String, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'rate_limit_blocks', versionKey: false },
);

export const RateLimitBlockModel: Model<RateLimitBlock> =
  (mongoose.models.RateLimitBlock as Model<RateLimitBlock> | undefined) ?? mongoose.model('RateLimitBlock', schema);

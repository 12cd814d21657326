-- Comments are now written with updated_at = created_at, and "edited" means updated_at > created_at.
-- Rows written before differed by the write's own latency (created_at from the transaction's now(),
-- updated_at from the client's clock); within a second that was never an edit.
UPDATE "comments" SET "updated_at" = "created_at"
WHERE "updated_at" > "created_at" AND "updated_at" - "created_at" <= interval '1 second';

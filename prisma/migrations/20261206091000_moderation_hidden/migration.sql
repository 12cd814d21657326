-- What a moderator hid stays hidden whatever its owner does: a timestamp of its own beside the
-- owner's is_public / is_hidden, cleared only by a moderator's unhide.
ALTER TYPE "ModerationActionKind" ADD VALUE 'unhide_generation';
ALTER TYPE "ModerationActionKind" ADD VALUE 'unhide_comment';
ALTER TYPE "NotificationType" ADD VALUE 'generation_unhidden';
ALTER TYPE "NotificationType" ADD VALUE 'comment_unhidden';

ALTER TABLE "generations" ADD COLUMN "moderation_hidden_at" TIMESTAMPTZ(3);
ALTER TABLE "comments" ADD COLUMN "moderation_hidden_at" TIMESTAMPTZ(3);

-- Generations hidden before this column existed were marked with the owner's flags only: move the
-- moderator's mark here and give the owner back their own is_hidden.
UPDATE "generations" g
SET "moderation_hidden_at" = a."created_at",
    "is_public" = false,
    "is_hidden" = COALESCE((a."details"->>'wasHidden')::boolean, g."is_hidden")
FROM (
    SELECT DISTINCT ON ("target_id") "target_id", "created_at", "details"
    FROM "moderation_actions"
    WHERE "kind" = 'hide_generation'
    ORDER BY "target_id", "created_at" DESC
) a
WHERE g."id" = a."target_id";

-- Every public read checks is_public, so a hidden generation can never be public.
ALTER TABLE "generations" ADD CONSTRAINT "generations_moderation_hidden_not_public"
    CHECK ("moderation_hidden_at" IS NULL OR NOT "is_public");

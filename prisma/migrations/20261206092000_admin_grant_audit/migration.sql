-- Granting admin is audited. The first admin is made at the command line, where no signed-in
-- moderator acts: such entries have no moderator and say who ran the command in their details.
ALTER TYPE "ModerationActionKind" ADD VALUE 'grant_admin';
ALTER TABLE "moderation_actions" ALTER COLUMN "moderator_id" DROP NOT NULL;

-- Trust and safety: reports, the moderation audit log, and the notification kinds they send.
-- Mirrors prisma/schema.prisma; adds the one-open-report rule and the audit log's immutability.

ALTER TYPE "NotificationType" ADD VALUE 'report_resolved';
ALTER TYPE "NotificationType" ADD VALUE 'report_dismissed';
ALTER TYPE "NotificationType" ADD VALUE 'style_flagged';
ALTER TYPE "NotificationType" ADD VALUE 'style_unflagged';
ALTER TYPE "NotificationType" ADD VALUE 'generation_hidden';
ALTER TYPE "NotificationType" ADD VALUE 'comment_hidden';
ALTER TYPE "NotificationTarget" ADD VALUE 'report';

CREATE TYPE "ReportTarget" AS ENUM ('style', 'generation', 'comment', 'user');
CREATE TYPE "ReportReason" AS ENUM ('copies_my_work', 'ownership_claim', 'not_licensed', 'harmful', 'spam', 'other');
CREATE TYPE "ReportStatus" AS ENUM ('open', 'resolved', 'dismissed');
CREATE TYPE "ModerationActionKind" AS ENUM ('flag_style', 'unflag_style', 'hide_generation', 'hide_comment', 'deactivate_user', 'resolve_report', 'dismiss_report');

CREATE TABLE "reports" (
    "id" UUID NOT NULL,
    "reporter_id" UUID NOT NULL,
    "target_type" "ReportTarget" NOT NULL,
    "target_id" UUID NOT NULL,
    "reason" "ReportReason" NOT NULL,
    "note" VARCHAR(2000) NOT NULL DEFAULT '',
    "evidence_links" JSONB NOT NULL DEFAULT '[]',
    "status" "ReportStatus" NOT NULL DEFAULT 'open',
    "closed_by_id" UUID,
    "closing_note" VARCHAR(2000),
    "closed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "reports_pkey" PRIMARY KEY ("id"),
    -- A closed report says who closed it and when; an open one does not.
    CONSTRAINT "reports_closed_check" CHECK (("status" = 'open') = ("closed_at" IS NULL))
);
CREATE INDEX "reports_reporter_id_created_at_id_idx" ON "reports"("reporter_id", "created_at" DESC, "id" DESC);
CREATE INDEX "reports_target_type_target_id_idx" ON "reports"("target_type", "target_id");
-- One open report per reporter and target; the moderation queue reads open reports oldest first.
CREATE UNIQUE INDEX "reports_one_open_per_target" ON "reports"("reporter_id", "target_type", "target_id") WHERE "status" = 'open';
CREATE INDEX "reports_open_queue_idx" ON "reports"("created_at", "id") WHERE "status" = 'open';
ALTER TABLE "reports" ADD CONSTRAINT "reports_reporter_id_fkey" FOREIGN KEY ("reporter_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "reports" ADD CONSTRAINT "reports_closed_by_id_fkey" FOREIGN KEY ("closed_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "moderation_actions" (
    "id" UUID NOT NULL,
    "moderator_id" UUID NOT NULL,
    "kind" "ModerationActionKind" NOT NULL,
    "target_type" "ReportTarget" NOT NULL,
    "target_id" UUID NOT NULL,
    "report_id" UUID,
    "note" VARCHAR(2000) NOT NULL DEFAULT '',
    "details" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "moderation_actions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "moderation_actions_created_at_id_idx" ON "moderation_actions"("created_at" DESC, "id" DESC);
CREATE INDEX "moderation_actions_target_type_target_id_idx" ON "moderation_actions"("target_type", "target_id");
ALTER TABLE "moderation_actions" ADD CONSTRAINT "moderation_actions_moderator_id_fkey" FOREIGN KEY ("moderator_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "moderation_actions" ADD CONSTRAINT "moderation_actions_report_id_fkey" FOREIGN KEY ("report_id") REFERENCES "reports"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The audit log is append-only: what was done stays written, whoever connects.
CREATE FUNCTION "moderation_actions_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'moderation_actions is append-only (% refused)', TG_OP USING ERRCODE = 'P0001';
END;
$$;
CREATE TRIGGER "moderation_actions_append_only" BEFORE UPDATE OR DELETE ON "moderation_actions"
    FOR EACH ROW EXECUTE FUNCTION "moderation_actions_append_only"();

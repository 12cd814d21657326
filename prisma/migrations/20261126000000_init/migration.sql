-- Style License: initial schema. Mirrors prisma/schema.prisma (checked by the drift test) and adds
-- what Prisma cannot express: CHECK constraints, generated columns, partial and trigram indexes,
-- and the ledger's immutability trigger.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Enums
CREATE TYPE "Role" AS ENUM ('user', 'artist', 'admin');
CREATE TYPE "AuthProvider" AS ENUM ('google', 'dev');
CREATE TYPE "TransactionType" AS ENUM ('bonus', 'purchase', 'generation', 'earning', 'refund', 'withdrawal', 'transfer');
CREATE TYPE "TransactionStatus" AS ENUM ('pending', 'completed', 'failed');
CREATE TYPE "PaymentProvider" AS ENUM ('toss', 'sandbox');
CREATE TYPE "PurchaseStatus" AS ENUM ('pending', 'authorized', 'paid', 'failed', 'expired');
CREATE TYPE "TrainingStatus" AS ENUM ('pending', 'training', 'completed', 'failed');
CREATE TYPE "LicenseType" AS ENUM ('personal', 'commercial', 'exclusive');
CREATE TYPE "AspectRatio" AS ENUM ('1:1', '2:2', '1:2');
CREATE TYPE "GenerationStatus" AS ENUM ('queued', 'processing', 'retrying', 'completed', 'failed');
CREATE TYPE "NotificationType" AS ENUM ('follow', 'like', 'comment', 'generation_complete', 'generation_failed', 'style_training_complete', 'style_training_failed');
CREATE TYPE "NotificationTarget" AS ENUM ('user', 'style', 'generation', 'comment');
CREATE TYPE "OutboxStatus" AS ENUM ('pending', 'sent');

-- Users and auth
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "username" VARCHAR(50) NOT NULL,
    "email" VARCHAR(320),
    "provider" "AuthProvider" NOT NULL,
    "provider_user_id" VARCHAR(255) NOT NULL,
    "profile_image" VARCHAR(1024),
    "role" "Role" NOT NULL DEFAULT 'user',
    "token_balance" INTEGER NOT NULL DEFAULT 0,
    "bio" VARCHAR(500) NOT NULL DEFAULT '',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_token_balance_check" CHECK ("token_balance" >= 0),
    CONSTRAINT "users_username_check" CHECK ("username" ~ '^[A-Za-z0-9_.]{3,50}$')
);
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");
CREATE UNIQUE INDEX "users_provider_provider_user_id_key" ON "users"("provider", "provider_user_id");
CREATE INDEX "users_username_trgm_idx" ON "users" USING GIN (lower("username") gin_trgm_ops);

CREATE TABLE "artists" (
    "user_id" UUID NOT NULL,
    "artist_name" VARCHAR(100) NOT NULL,
    "signature_image" VARCHAR(1024) NOT NULL,
    "verified_email" VARCHAR(320) NOT NULL,
    "earned_token_balance" INTEGER NOT NULL DEFAULT 0,
    "follower_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "artists_pkey" PRIMARY KEY ("user_id"),
    CONSTRAINT "artists_earned_token_balance_check" CHECK ("earned_token_balance" >= 0),
    CONSTRAINT "artists_follower_count_check" CHECK ("follower_count" >= 0)
);
CREATE INDEX "artists_artist_name_trgm_idx" ON "artists" USING GIN (lower("artist_name") gin_trgm_ops);
CREATE INDEX "artists_follower_count_idx" ON "artists"("follower_count" DESC, "user_id");

CREATE TABLE "oauth_accounts" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "provider" "AuthProvider" NOT NULL,
    "provider_user_id" VARCHAR(255) NOT NULL,
    "email" VARCHAR(320),
    "email_verified" BOOLEAN NOT NULL DEFAULT false,
    "last_sign_in_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "oauth_accounts_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "oauth_accounts_provider_provider_user_id_key" ON "oauth_accounts"("provider", "provider_user_id");
CREATE INDEX "oauth_accounts_user_id_idx" ON "oauth_accounts"("user_id");

CREATE TABLE "sessions" (
    "id" VARCHAR(64) NOT NULL,
    "user_id" UUID NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ip_address" VARCHAR(64),
    "user_agent" VARCHAR(512),
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- Tokens
CREATE TABLE "transactions" (
    "id" UUID NOT NULL,
    "sender_id" UUID,
    "receiver_id" UUID,
    "amount" INTEGER NOT NULL,
    "type" "TransactionType" NOT NULL,
    "price_per_token" INTEGER NOT NULL DEFAULT 0,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'KRW',
    "total_price" BIGINT NOT NULL GENERATED ALWAYS AS ("amount"::BIGINT * "price_per_token") STORED,
    "status" "TransactionStatus" NOT NULL DEFAULT 'completed',
    "memo" VARCHAR(255) NOT NULL DEFAULT '',
    "style_id" UUID,
    "generation_id" UUID,
    "purchase_id" UUID,
    "refunded" BOOLEAN NOT NULL DEFAULT false,
    "idempotency_key" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "transactions_amount_check" CHECK ("amount" > 0),
    CONSTRAINT "transactions_price_per_token_check" CHECK ("price_per_token" >= 0),
    CONSTRAINT "transactions_party_check" CHECK ("sender_id" IS NOT NULL OR "receiver_id" IS NOT NULL)
);
CREATE UNIQUE INDEX "transactions_idempotency_key_key" ON "transactions"("idempotency_key");
CREATE INDEX "transactions_sender_id_created_at_id_idx" ON "transactions"("sender_id", "created_at" DESC, "id" DESC);
CREATE INDEX "transactions_receiver_id_created_at_id_idx" ON "transactions"("receiver_id", "created_at" DESC, "id" DESC);
CREATE INDEX "transactions_generation_id_idx" ON "transactions"("generation_id");

-- Ledger entries are immutable: only the status and the refunded flag may change; rows are never deleted.
CREATE FUNCTION "transactions_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger entries are immutable' USING ERRCODE = 'P0001';
    END IF;
    IF (NEW."sender_id", NEW."receiver_id", NEW."amount", NEW."type", NEW."price_per_token", NEW."currency",
        NEW."style_id", NEW."generation_id", NEW."purchase_id", NEW."idempotency_key", NEW."created_at")
       IS DISTINCT FROM
       (OLD."sender_id", OLD."receiver_id", OLD."amount", OLD."type", OLD."price_per_token", OLD."currency",
        OLD."style_id", OLD."generation_id", OLD."purchase_id", OLD."idempotency_key", OLD."created_at") THEN
        RAISE EXCEPTION 'ledger entries are immutable' USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "transactions_immutable" BEFORE UPDATE OR DELETE ON "transactions"
    FOR EACH ROW EXECUTE FUNCTION "transactions_immutable"();

CREATE TABLE "purchases" (
    "id" UUID NOT NULL,
    "buyer_id" UUID NOT NULL,
    "package_id" VARCHAR(50) NOT NULL,
    "amount_tokens" INTEGER NOT NULL,
    "price_per_token" INTEGER NOT NULL,
    "currency" VARCHAR(3) NOT NULL DEFAULT 'KRW',
    "total_price" INTEGER NOT NULL,
    "provider" "PaymentProvider" NOT NULL,
    "provider_payment_key" VARCHAR(200),
    "provider_order_id" VARCHAR(64) NOT NULL,
    "status" "PurchaseStatus" NOT NULL DEFAULT 'pending',
    "approved_at" TIMESTAMPTZ(3),
    "receipt_url" VARCHAR(1024),
    "provider_details" JSONB,
    "failure_code" VARCHAR(100),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "purchases_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "purchases_amount_tokens_check" CHECK ("amount_tokens" > 0),
    CONSTRAINT "purchases_total_price_check" CHECK ("total_price" >= 0)
);
CREATE UNIQUE INDEX "purchases_provider_payment_key_key" ON "purchases"("provider_payment_key");
CREATE UNIQUE INDEX "purchases_provider_order_id_key" ON "purchases"("provider_order_id");
CREATE INDEX "purchases_buyer_id_created_at_idx" ON "purchases"("buyer_id", "created_at" DESC);

-- Styles
CREATE TABLE "styles" (
    "id" UUID NOT NULL,
    "artist_id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "description" VARCHAR(2000) NOT NULL DEFAULT '',
    "thumbnail" VARCHAR(1024),
    "model_path" VARCHAR(1024),
    "training_status" "TrainingStatus" NOT NULL DEFAULT 'pending',
    "training_progress" JSONB,
    "training_metric" JSONB,
    "training_error" JSONB,
    "license_type" "LicenseType" NOT NULL DEFAULT 'personal',
    "valid_from" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "valid_to" TIMESTAMPTZ(3),
    "generation_cost_tokens" INTEGER NOT NULL,
    "usage_count" INTEGER NOT NULL DEFAULT 0,
    "is_flagged" BOOLEAN NOT NULL DEFAULT false,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "styles_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "styles_generation_cost_tokens_check" CHECK ("generation_cost_tokens" BETWEEN 1 AND 10000),
    CONSTRAINT "styles_usage_count_check" CHECK ("usage_count" >= 0),
    CONSTRAINT "styles_valid_range_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from")
);
CREATE UNIQUE INDEX "styles_artist_id_name_key" ON "styles"("artist_id", "name");
CREATE INDEX "styles_artist_id_created_at_id_idx" ON "styles"("artist_id", "created_at" DESC, "id" DESC);
CREATE INDEX "styles_created_at_id_idx" ON "styles"("created_at" DESC, "id" DESC);
-- The public catalogue: completed, active, unflagged styles, newest first.
CREATE INDEX "styles_listed_recent_idx" ON "styles"("created_at" DESC, "id" DESC)
    WHERE "is_active" AND NOT "is_flagged" AND "training_status" = 'completed';
CREATE INDEX "styles_name_trgm_idx" ON "styles" USING GIN (lower("name") gin_trgm_ops);

CREATE TABLE "artworks" (
    "id" UUID NOT NULL,
    "style_id" UUID NOT NULL,
    "image" VARCHAR(1024) NOT NULL,
    "processed_image" VARCHAR(1024),
    "caption" VARCHAR(1000) NOT NULL DEFAULT '',
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "sequence" INTEGER NOT NULL,
    "is_valid" BOOLEAN NOT NULL DEFAULT true,
    "validation_reason" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "artworks_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "artworks_dimensions_check" CHECK ("width" > 0 AND "height" > 0)
);
CREATE UNIQUE INDEX "artworks_style_id_sequence_key" ON "artworks"("style_id", "sequence");

-- Generations
CREATE TABLE "generations" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "style_id" UUID NOT NULL,
    "aspect_ratio" "AspectRatio" NOT NULL,
    "seed" BIGINT NOT NULL,
    "consumed_tokens" INTEGER NOT NULL,
    "result_image" VARCHAR(1024),
    "result_metadata" JSONB,
    "status" "GenerationStatus" NOT NULL DEFAULT 'queued',
    "generation_progress" JSONB,
    "failure" JSONB,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "description" VARCHAR(2000) NOT NULL DEFAULT '',
    "like_count" INTEGER NOT NULL DEFAULT 0,
    "comment_count" INTEGER NOT NULL DEFAULT 0,
    "is_public" BOOLEAN NOT NULL DEFAULT false,
    "is_hidden" BOOLEAN NOT NULL DEFAULT false,
    "started_at" TIMESTAMPTZ(3),
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "generations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "generations_seed_check" CHECK ("seed" >= 0),
    CONSTRAINT "generations_consumed_tokens_check" CHECK ("consumed_tokens" >= 0),
    CONSTRAINT "generations_like_count_check" CHECK ("like_count" >= 0),
    CONSTRAINT "generations_comment_count_check" CHECK ("comment_count" >= 0),
    CONSTRAINT "generations_attempt_check" CHECK ("attempt" >= 0)
);
CREATE INDEX "generations_user_id_created_at_id_idx" ON "generations"("user_id", "created_at" DESC, "id" DESC);
CREATE INDEX "generations_style_id_idx" ON "generations"("style_id");
-- The public feed: newest and most liked among public, visible, completed generations.
CREATE INDEX "generations_feed_recent_idx" ON "generations"("created_at" DESC, "id" DESC)
    WHERE "is_public" AND NOT "is_hidden" AND "status" = 'completed';
CREATE INDEX "generations_feed_popular_idx" ON "generations"("like_count" DESC, "created_at" DESC, "id" DESC)
    WHERE "is_public" AND NOT "is_hidden" AND "status" = 'completed';

-- Community
CREATE TABLE "follows" (
    "follower_id" UUID NOT NULL,
    "following_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "follows_pkey" PRIMARY KEY ("follower_id", "following_id"),
    CONSTRAINT "follows_no_self_follow_check" CHECK ("follower_id" <> "following_id")
);
CREATE INDEX "follows_following_id_created_at_idx" ON "follows"("following_id", "created_at" DESC);
CREATE INDEX "follows_follower_id_created_at_idx" ON "follows"("follower_id", "created_at" DESC);

CREATE TABLE "likes" (
    "user_id" UUID NOT NULL,
    "generation_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "likes_pkey" PRIMARY KEY ("user_id", "generation_id")
);
CREATE INDEX "likes_generation_id_idx" ON "likes"("generation_id");

CREATE TABLE "comments" (
    "id" UUID NOT NULL,
    "generation_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "parent_id" UUID,
    "content" VARCHAR(2000) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "comments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "comments_content_check" CHECK (length(btrim("content")) > 0)
);
CREATE INDEX "comments_generation_id_created_at_id_idx" ON "comments"("generation_id", "created_at", "id");
CREATE INDEX "comments_parent_id_idx" ON "comments"("parent_id");

-- Tags
CREATE TABLE "tags" (
    "id" UUID NOT NULL,
    "name" VARCHAR(50) NOT NULL,
    "usage_count" INTEGER NOT NULL DEFAULT 0,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tags_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tags_name_check" CHECK ("name" = lower("name") AND "name" ~ '^[a-z0-9][a-z0-9 _-]*$'),
    CONSTRAINT "tags_usage_count_check" CHECK ("usage_count" >= 0)
);
CREATE UNIQUE INDEX "tags_name_key" ON "tags"("name");
CREATE INDEX "tags_name_trgm_idx" ON "tags" USING GIN ("name" gin_trgm_ops);

CREATE TABLE "style_tags" (
    "style_id" UUID NOT NULL,
    "tag_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    CONSTRAINT "style_tags_pkey" PRIMARY KEY ("style_id", "tag_id")
);
CREATE INDEX "style_tags_tag_id_idx" ON "style_tags"("tag_id");

CREATE TABLE "artwork_tags" (
    "artwork_id" UUID NOT NULL,
    "tag_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    CONSTRAINT "artwork_tags_pkey" PRIMARY KEY ("artwork_id", "tag_id")
);
CREATE INDEX "artwork_tags_tag_id_idx" ON "artwork_tags"("tag_id");

CREATE TABLE "generation_tags" (
    "generation_id" UUID NOT NULL,
    "tag_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    CONSTRAINT "generation_tags_pkey" PRIMARY KEY ("generation_id", "tag_id")
);
CREATE INDEX "generation_tags_tag_id_idx" ON "generation_tags"("tag_id");

-- Notifications
CREATE TABLE "notifications" (
    "id" UUID NOT NULL,
    "recipient_id" UUID NOT NULL,
    "actor_id" UUID,
    "type" "NotificationType" NOT NULL,
    "target_type" "NotificationTarget" NOT NULL,
    "target_id" UUID NOT NULL,
    "is_read" BOOLEAN NOT NULL DEFAULT false,
    "read_at" TIMESTAMPTZ(3),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "dedupe_key" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "notifications_dedupe_key_key" ON "notifications"("dedupe_key");
CREATE INDEX "notifications_recipient_id_created_at_id_idx" ON "notifications"("recipient_id", "created_at" DESC, "id" DESC);
CREATE INDEX "notifications_unread_idx" ON "notifications"("recipient_id", "created_at" DESC, "id" DESC) WHERE NOT "is_read";
CREATE INDEX "notifications_read_purge_idx" ON "notifications"("read_at") WHERE "is_read";

-- Platform plumbing
CREATE TABLE "outbox_messages" (
    "id" BIGSERIAL NOT NULL,
    "message_id" UUID NOT NULL,
    "destination" VARCHAR(255) NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "status" "OutboxStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" VARCHAR(2000),
    "available_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    CONSTRAINT "outbox_messages_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "outbox_messages_message_id_key" ON "outbox_messages"("message_id");
CREATE INDEX "outbox_messages_pending_idx" ON "outbox_messages"("id") WHERE "status" = 'pending';

CREATE TABLE "webhook_receipts" (
    "id" VARCHAR(255) NOT NULL,
    "source" VARCHAR(50) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "webhook_receipts_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_receipts_received_at_idx" ON "webhook_receipts"("received_at");

CREATE TABLE "idempotency_keys" (
    "user_id" UUID NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "scope" VARCHAR(100) NOT NULL,
    "request_hash" VARCHAR(64) NOT NULL,
    "response" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("user_id", "key")
);
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");

-- Foreign keys
ALTER TABLE "artists" ADD CONSTRAINT "artists_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "oauth_accounts" ADD CONSTRAINT "oauth_accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_sender_id_fkey" FOREIGN KEY ("sender_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_receiver_id_fkey" FOREIGN KEY ("receiver_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_style_id_fkey" FOREIGN KEY ("style_id") REFERENCES "styles"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_generation_id_fkey" FOREIGN KEY ("generation_id") REFERENCES "generations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "transactions" ADD CONSTRAINT "transactions_purchase_id_fkey" FOREIGN KEY ("purchase_id") REFERENCES "purchases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "purchases" ADD CONSTRAINT "purchases_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "styles" ADD CONSTRAINT "styles_artist_id_fkey" FOREIGN KEY ("artist_id") REFERENCES "artists"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "artworks" ADD CONSTRAINT "artworks_style_id_fkey" FOREIGN KEY ("style_id") REFERENCES "styles"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "generations" ADD CONSTRAINT "generations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "generations" ADD CONSTRAINT "generations_style_id_fkey" FOREIGN KEY ("style_id") REFERENCES "styles"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "follows" ADD CONSTRAINT "follows_follower_id_fkey" FOREIGN KEY ("follower_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "follows" ADD CONSTRAINT "follows_following_id_fkey" FOREIGN KEY ("following_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "likes" ADD CONSTRAINT "likes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "likes" ADD CONSTRAINT "likes_generation_id_fkey" FOREIGN KEY ("generation_id") REFERENCES "generations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "comments" ADD CONSTRAINT "comments_generation_id_fkey" FOREIGN KEY ("generation_id") REFERENCES "generations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "comments" ADD CONSTRAINT "comments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "comments" ADD CONSTRAINT "comments_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "comments"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "style_tags" ADD CONSTRAINT "style_tags_style_id_fkey" FOREIGN KEY ("style_id") REFERENCES "styles"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "style_tags" ADD CONSTRAINT "style_tags_tag_id_fkey" FOREIGN KEY ("tag_id") REFERENCES "tags"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "artwork_tags" ADD CONSTRAINT "artwork_tags_artwork_id_fkey" FOREIGN KEY ("artwork_id") REFERENCES "artworks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "artwork_tags" ADD CONSTRAINT "artwork_tags_tag_id_fkey" FOREIGN KEY ("tag_id") REFERENCES "tags"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "generation_tags" ADD CONSTRAINT "generation_tags_generation_id_fkey" FOREIGN KEY ("generation_id") REFERENCES "generations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "generation_tags" ADD CONSTRAINT "generation_tags_tag_id_fkey" FOREIGN KEY ("tag_id") REFERENCES "tags"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

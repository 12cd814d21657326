-- One picture per epoch of a style's training (the adapter as it stood, first caption, fixed seed),
-- shown to the artist. Keyed by the job, so a retried delivery of the same report writes nothing new
-- and a later retraining keeps its own pictures.
CREATE TABLE "training_samples" (
    "style_id" UUID NOT NULL,
    "job_id" VARCHAR(128) NOT NULL,
    "epoch" INTEGER NOT NULL,
    "image_key" VARCHAR(1024) NOT NULL,
    "prompt" VARCHAR(1000) NOT NULL DEFAULT '',
    "seed" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "training_samples_pkey" PRIMARY KEY ("style_id", "job_id", "epoch"),
    CONSTRAINT "training_samples_epoch_check" CHECK ("epoch" >= 1)
);
CREATE INDEX "training_samples_style_id_created_at_idx" ON "training_samples"("style_id", "created_at" DESC);
ALTER TABLE "training_samples" ADD CONSTRAINT "training_samples_style_id_fkey" FOREIGN KEY ("style_id") REFERENCES "styles"("id") ON DELETE CASCADE ON UPDATE CASCADE;

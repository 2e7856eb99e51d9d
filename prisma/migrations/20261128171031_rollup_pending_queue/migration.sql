-- CreateTable
CREATE TABLE "metric_rollup_pending" (
    "id" BIGSERIAL NOT NULL,
    "run_id" INTEGER NOT NULL,
    "key_id" INTEGER NOT NULL,
    "steps" BIGINT[],
    "ts" TIMESTAMPTZ(3)[],
    "values" DOUBLE PRECISION[],

    CONSTRAINT "metric_rollup_pending_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "metric_rollup_pending_run_id_key_id_idx" ON "metric_rollup_pending"("run_id", "key_id");

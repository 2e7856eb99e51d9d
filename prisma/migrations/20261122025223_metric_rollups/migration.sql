-- CreateTable
CREATE TABLE "metric_rollups" (
    "run_id" INTEGER NOT NULL,
    "key_id" INTEGER NOT NULL,
    "level" INTEGER NOT NULL,
    "bucket" BIGINT NOT NULL,
    "count" BIGINT NOT NULL,
    "min_value" DOUBLE PRECISION,
    "min_step" BIGINT,
    "min_ts" TIMESTAMPTZ(3),
    "max_value" DOUBLE PRECISION,
    "max_step" BIGINT,
    "max_ts" TIMESTAMPTZ(3),

    CONSTRAINT "metric_rollups_pkey" PRIMARY KEY ("run_id","key_id","level","bucket")
);

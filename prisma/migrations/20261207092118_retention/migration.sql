-- CreateTable
CREATE TABLE "retention_plans" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "report" JSONB NOT NULL,
    "applied_at" TIMESTAMPTZ(3),
    "applied_by" TEXT,
    "result" JSONB,

    CONSTRAINT "retention_plans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_retention" (
    "run_id" INTEGER NOT NULL,
    "soft_deleted_at" TIMESTAMPTZ(3),
    "downsampled_at" TIMESTAMPTZ(3),
    "purged_at" TIMESTAMPTZ(3),
    "plan_id" INTEGER,

    CONSTRAINT "run_retention_pkey" PRIMARY KEY ("run_id")
);

-- CreateIndex
CREATE INDEX "retention_plans_project_id_id_idx" ON "retention_plans"("project_id", "id");

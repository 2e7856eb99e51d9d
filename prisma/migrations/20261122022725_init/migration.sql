-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('RUNNING', 'FINISHED', 'FAILED', 'KILLED');

-- CreateTable
CREATE TABLE "projects" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "projects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "client_run_id" TEXT,
    "name" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'RUNNING',
    "user" TEXT,
    "notes" TEXT,
    "run_group" TEXT,
    "parent_id" INTEGER,
    "environment" JSONB,
    "seed" TEXT,
    "gpu_count" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "params" (
    "run_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "params_pkey" PRIMARY KEY ("run_id","key")
);

-- CreateTable
CREATE TABLE "tags" (
    "run_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "tags_pkey" PRIMARY KEY ("run_id","key")
);

-- CreateTable
CREATE TABLE "code_commits" (
    "id" SERIAL NOT NULL,
    "repository" TEXT NOT NULL,
    "commit" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "code_commits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "run_code_versions" (
    "run_id" INTEGER NOT NULL,
    "commit_id" INTEGER NOT NULL,
    "branch" TEXT,
    "dirty" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "run_code_versions_pkey" PRIMARY KEY ("run_id")
);

-- CreateTable
CREATE TABLE "metric_keys" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,

    CONSTRAINT "metric_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_points" (
    "run_id" INTEGER NOT NULL,
    "key_id" INTEGER NOT NULL,
    "step" BIGINT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "metric_points_pkey" PRIMARY KEY ("run_id","key_id","step","ts")
);

-- CreateTable
CREATE TABLE "metric_summaries" (
    "run_id" INTEGER NOT NULL,
    "key_id" INTEGER NOT NULL,
    "last_value" DOUBLE PRECISION NOT NULL,
    "last_step" BIGINT NOT NULL,
    "last_ts" TIMESTAMPTZ(3) NOT NULL,
    "min_value" DOUBLE PRECISION,
    "max_value" DOUBLE PRECISION,
    "count" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "metric_summaries_pkey" PRIMARY KEY ("run_id","key_id")
);

-- CreateTable
CREATE TABLE "batch_receipts" (
    "run_id" INTEGER NOT NULL,
    "batch_id" TEXT NOT NULL,
    "summary" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "batch_receipts_pkey" PRIMARY KEY ("run_id","batch_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "projects_name_key" ON "projects"("name");

-- CreateIndex
CREATE INDEX "runs_project_id_started_at_idx" ON "runs"("project_id", "started_at" DESC);

-- CreateIndex
CREATE INDEX "runs_project_id_user_idx" ON "runs"("project_id", "user");

-- CreateIndex
CREATE INDEX "runs_project_id_status_idx" ON "runs"("project_id", "status");

-- CreateIndex
CREATE INDEX "runs_parent_id_idx" ON "runs"("parent_id");

-- CreateIndex
CREATE UNIQUE INDEX "runs_project_id_client_run_id_key" ON "runs"("project_id", "client_run_id");

-- CreateIndex
CREATE INDEX "params_key_value_idx" ON "params"("key", "value");

-- CreateIndex
CREATE INDEX "tags_key_value_idx" ON "tags"("key", "value");

-- CreateIndex
CREATE UNIQUE INDEX "code_commits_repository_commit_key" ON "code_commits"("repository", "commit");

-- CreateIndex
CREATE INDEX "run_code_versions_commit_id_idx" ON "run_code_versions"("commit_id");

-- CreateIndex
CREATE UNIQUE INDEX "metric_keys_name_key" ON "metric_keys"("name");

-- CreateIndex
CREATE INDEX "metric_summaries_key_id_last_value_idx" ON "metric_summaries"("key_id", "last_value");

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "params" ADD CONSTRAINT "params_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tags" ADD CONSTRAINT "tags_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_code_versions" ADD CONSTRAINT "run_code_versions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_code_versions" ADD CONSTRAINT "run_code_versions_commit_id_fkey" FOREIGN KEY ("commit_id") REFERENCES "code_commits"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_points" ADD CONSTRAINT "metric_points_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metric_summaries" ADD CONSTRAINT "metric_summaries_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_receipts" ADD CONSTRAINT "batch_receipts_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateEnum
CREATE TYPE "PipelineRunState" AS ENUM ('UNKNOWN', 'START', 'RUNNING', 'COMPLETE', 'FAIL', 'ABORT', 'OTHER');

-- DropIndex
DROP INDEX "datasets_name_key";

-- AlterTable
ALTER TABLE "dataset_versions" ADD COLUMN     "facets" JSONB;

-- AlterTable
ALTER TABLE "datasets" ADD COLUMN     "namespace" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "pipeline_runs" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "run_uuid" TEXT NOT NULL,
    "job_namespace" TEXT NOT NULL,
    "job_name" TEXT NOT NULL,
    "state" "PipelineRunState" NOT NULL DEFAULT 'UNKNOWN',
    "state_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "nominal_start_time" TIMESTAMPTZ(3),
    "nominal_end_time" TIMESTAMPTZ(3),
    "parent_run_uuid" TEXT,
    "parent_job_namespace" TEXT,
    "parent_job_name" TEXT,
    "error_message" TEXT,
    "run_facets" JSONB NOT NULL DEFAULT '{}',
    "job_facets" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pipeline_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pipeline_run_datasets" (
    "pipeline_run_id" INTEGER NOT NULL,
    "dataset_id" INTEGER NOT NULL,
    "direction" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pipeline_run_datasets_pkey" PRIMARY KEY ("pipeline_run_id","dataset_id","direction")
);

-- CreateTable
CREATE TABLE "openlineage_events" (
    "id" BIGSERIAL NOT NULL,
    "digest" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "event_type" TEXT,
    "event_time" TIMESTAMPTZ(3) NOT NULL,
    "run_uuid" TEXT,
    "schema_url" TEXT NOT NULL,
    "body" JSONB NOT NULL,
    "actor" TEXT,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "openlineage_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "pipeline_runs_run_uuid_key" ON "pipeline_runs"("run_uuid");

-- CreateIndex
CREATE INDEX "pipeline_runs_project_id_id_idx" ON "pipeline_runs"("project_id", "id");

-- CreateIndex
CREATE INDEX "pipeline_runs_job_namespace_job_name_nominal_start_time_idx" ON "pipeline_runs"("job_namespace", "job_name", "nominal_start_time");

-- CreateIndex
CREATE INDEX "pipeline_run_datasets_dataset_id_idx" ON "pipeline_run_datasets"("dataset_id");

-- CreateIndex
CREATE UNIQUE INDEX "openlineage_events_digest_key" ON "openlineage_events"("digest");

-- CreateIndex
CREATE INDEX "openlineage_events_run_uuid_idx" ON "openlineage_events"("run_uuid");

-- CreateIndex
CREATE INDEX "openlineage_events_project_id_id_idx" ON "openlineage_events"("project_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "datasets_namespace_name_key" ON "datasets"("namespace", "name");

-- AddForeignKey
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_run_datasets" ADD CONSTRAINT "pipeline_run_datasets_pipeline_run_id_fkey" FOREIGN KEY ("pipeline_run_id") REFERENCES "pipeline_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_run_datasets" ADD CONSTRAINT "pipeline_run_datasets_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Pipeline runs are lineage nodes (written by hand: Prisma does not model CHECK constraints)
ALTER TABLE "lineage_edges" DROP CONSTRAINT "lineage_edges_from_type_check";
ALTER TABLE "lineage_edges" ADD CONSTRAINT "lineage_edges_from_type_check"
  CHECK ("from_type" IN ('CodeCommit', 'Run', 'DatasetVersion', 'Artifact', 'ModelVersion', 'PipelineRun'));
ALTER TABLE "lineage_edges" DROP CONSTRAINT "lineage_edges_to_type_check";
ALTER TABLE "lineage_edges" ADD CONSTRAINT "lineage_edges_to_type_check"
  CHECK ("to_type" IN ('CodeCommit', 'Run', 'DatasetVersion', 'Artifact', 'ModelVersion', 'PipelineRun'));

-- DropForeignKey
ALTER TABLE "artifacts" DROP CONSTRAINT "artifacts_run_id_fkey";

-- DropForeignKey
ALTER TABLE "model_versions" DROP CONSTRAINT "model_versions_artifact_id_fkey";

-- DropForeignKey
ALTER TABLE "model_versions" DROP CONSTRAINT "model_versions_run_id_fkey";

-- AlterTable: an artifact belongs to a project (its run's, or its logged model's); existing ones are all of runs.
ALTER TABLE "artifacts" ADD COLUMN     "logged_model_id" TEXT,
ADD COLUMN     "project_id" INTEGER,
ALTER COLUMN "run_id" DROP NOT NULL;

UPDATE "artifacts" a SET "project_id" = r."project_id" FROM "runs" r WHERE r."id" = a."run_id";

ALTER TABLE "artifacts" ALTER COLUMN "project_id" SET NOT NULL;

-- Every artifact was produced by a run, a logged model, or both.
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_run_or_logged_model" CHECK ("run_id" IS NOT NULL OR "logged_model_id" IS NOT NULL);

-- AlterTable
ALTER TABLE "dataset_versions" ADD COLUMN     "profile" TEXT,
ADD COLUMN     "schema_text" TEXT,
ADD COLUMN     "source" TEXT,
ADD COLUMN     "source_type" TEXT;

-- AlterTable
ALTER TABLE "metric_points" DROP CONSTRAINT "metric_points_pkey",
ADD CONSTRAINT "metric_points_pkey" PRIMARY KEY ("run_id", "key_id", "step", "ts", "value");

-- AlterTable
ALTER TABLE "model_versions" ADD COLUMN     "logged_model_id" TEXT,
ADD COLUMN     "source" TEXT,
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ALTER COLUMN "run_id" DROP NOT NULL,
ALTER COLUMN "artifact_id" DROP NOT NULL;

-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "artifact_location" TEXT,
ADD COLUMN     "deleted_at" TIMESTAMPTZ(3),
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "registered_models" ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "run_dataset_inputs" ADD COLUMN     "tags" JSONB;

-- CreateTable
CREATE TABLE "project_tags" (
    "project_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "project_tags_pkey" PRIMARY KEY ("project_id","key")
);

-- CreateTable
CREATE TABLE "registered_model_tags" (
    "model_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "registered_model_tags_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "model_version_tags" (
    "version_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "model_version_tags_pkey" PRIMARY KEY ("version_id","key")
);

-- CreateTable
CREATE TABLE "logged_models" (
    "id" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "source_run_id" INTEGER,
    "source_run_text" TEXT,
    "model_type" TEXT,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "status_message" TEXT,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "logged_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "logged_model_params" (
    "model_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "logged_model_params_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "logged_model_tags" (
    "model_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "logged_model_tags_pkey" PRIMARY KEY ("model_id","key")
);

-- CreateTable
CREATE TABLE "logged_model_metrics" (
    "model_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "step" BIGINT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "run_id" INTEGER,
    "dataset_name" TEXT,
    "dataset_digest" TEXT,

    CONSTRAINT "logged_model_metrics_pkey" PRIMARY KEY ("model_id","key","step","ts")
);

-- CreateTable
CREATE TABLE "run_model_outputs" (
    "run_id" INTEGER NOT NULL,
    "logged_model_id" TEXT NOT NULL,
    "step" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "run_model_outputs_pkey" PRIMARY KEY ("run_id","logged_model_id","step")
);

-- CreateTable
CREATE TABLE "run_logged_model_inputs" (
    "run_id" INTEGER NOT NULL,
    "logged_model_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "run_logged_model_inputs_pkey" PRIMARY KEY ("run_id","logged_model_id")
);

-- CreateIndex
CREATE INDEX "logged_models_project_id_created_at_idx" ON "logged_models"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "logged_models_source_run_id_idx" ON "logged_models"("source_run_id");

-- CreateIndex
CREATE INDEX "logged_model_metrics_dataset_name_dataset_digest_idx" ON "logged_model_metrics"("dataset_name", "dataset_digest");

-- CreateIndex
CREATE INDEX "run_logged_model_inputs_logged_model_id_idx" ON "run_logged_model_inputs"("logged_model_id");

-- CreateIndex
CREATE UNIQUE INDEX "artifacts_logged_model_id_name_digest_key" ON "artifacts"("logged_model_id", "name", "digest");

-- CreateIndex
CREATE INDEX "model_versions_logged_model_id_idx" ON "model_versions"("logged_model_id");

-- AddForeignKey
ALTER TABLE "project_tags" ADD CONSTRAINT "project_tags_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_logged_model_id_fkey" FOREIGN KEY ("logged_model_id") REFERENCES "logged_models"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_artifact_id_fkey" FOREIGN KEY ("artifact_id") REFERENCES "artifacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_logged_model_id_fkey" FOREIGN KEY ("logged_model_id") REFERENCES "logged_models"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_model_tags" ADD CONSTRAINT "registered_model_tags_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_version_tags" ADD CONSTRAINT "model_version_tags_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_models" ADD CONSTRAINT "logged_models_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_models" ADD CONSTRAINT "logged_models_source_run_id_fkey" FOREIGN KEY ("source_run_id") REFERENCES "runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_params" ADD CONSTRAINT "logged_model_params_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "logged_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_tags" ADD CONSTRAINT "logged_model_tags_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "logged_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "logged_model_metrics" ADD CONSTRAINT "logged_model_metrics_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "logged_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_outputs" ADD CONSTRAINT "run_model_outputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_outputs" ADD CONSTRAINT "run_model_outputs_logged_model_id_fkey" FOREIGN KEY ("logged_model_id") REFERENCES "logged_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_logged_model_inputs" ADD CONSTRAINT "run_logged_model_inputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_logged_model_inputs" ADD CONSTRAINT "run_logged_model_inputs_logged_model_id_fkey" FOREIGN KEY ("logged_model_id") REFERENCES "logged_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

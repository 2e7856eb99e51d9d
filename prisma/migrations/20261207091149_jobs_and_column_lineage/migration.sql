-- AlterTable
ALTER TABLE "datasets" ADD COLUMN     "column_lineage_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "pipeline_runs" ADD COLUMN     "first_event_at" TIMESTAMPTZ(3),
ADD COLUMN     "job_id" INTEGER,
ADD COLUMN     "job_version_id" INTEGER;

-- CreateTable
CREATE TABLE "jobs" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "facets" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_versions" (
    "id" SERIAL NOT NULL,
    "job_id" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "facets" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "job_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "job_datasets" (
    "job_version_id" INTEGER NOT NULL,
    "dataset_id" INTEGER NOT NULL,
    "direction" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "job_datasets_pkey" PRIMARY KEY ("job_version_id","dataset_id","direction")
);

-- CreateTable
CREATE TABLE "column_lineage_edges" (
    "id" SERIAL NOT NULL,
    "dataset_id" INTEGER NOT NULL,
    "field" TEXT NOT NULL,
    "input_namespace" TEXT NOT NULL,
    "input_name" TEXT NOT NULL,
    "input_field" TEXT NOT NULL,
    "transformation_type" TEXT NOT NULL DEFAULT '',
    "transformation_subtype" TEXT NOT NULL DEFAULT '',
    "transformation_description" TEXT,
    "masking" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "column_lineage_edges_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "jobs_project_id_id_idx" ON "jobs"("project_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_namespace_name_key" ON "jobs"("namespace", "name");

-- CreateIndex
CREATE UNIQUE INDEX "job_versions_job_id_version_key" ON "job_versions"("job_id", "version");

-- CreateIndex
CREATE INDEX "job_datasets_dataset_id_idx" ON "job_datasets"("dataset_id");

-- CreateIndex
CREATE INDEX "column_lineage_edges_input_namespace_input_name_input_field_idx" ON "column_lineage_edges"("input_namespace", "input_name", "input_field");

-- CreateIndex
CREATE UNIQUE INDEX "column_lineage_edges_dataset_id_field_input_namespace_input_key" ON "column_lineage_edges"("dataset_id", "field", "input_namespace", "input_name", "input_field", "transformation_type", "transformation_subtype");

-- CreateIndex
CREATE INDEX "pipeline_runs_job_id_first_event_at_idx" ON "pipeline_runs"("job_id", "first_event_at");

-- CreateIndex
CREATE INDEX "pipeline_runs_job_version_id_idx" ON "pipeline_runs"("job_version_id");

-- AddForeignKey
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pipeline_runs" ADD CONSTRAINT "pipeline_runs_job_version_id_fkey" FOREIGN KEY ("job_version_id") REFERENCES "job_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_versions" ADD CONSTRAINT "job_versions_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_datasets" ADD CONSTRAINT "job_datasets_job_version_id_fkey" FOREIGN KEY ("job_version_id") REFERENCES "job_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "job_datasets" ADD CONSTRAINT "job_datasets_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "column_lineage_edges" ADD CONSTRAINT "column_lineage_edges_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: name-prefix search (catalog search), case-insensitive, served by an index per table.
CREATE INDEX "datasets_lower_name_idx" ON "datasets" (lower("name") text_pattern_ops);
CREATE INDEX "jobs_lower_name_idx" ON "jobs" (lower("name") text_pattern_ops);
CREATE INDEX "runs_lower_name_idx" ON "runs" (lower("name") text_pattern_ops);
CREATE INDEX "registered_models_lower_name_idx" ON "registered_models" (lower("name") text_pattern_ops);

-- CreateEnum
CREATE TYPE "ArtifactKind" AS ENUM ('MODEL', 'CHECKPOINT', 'PLOT', 'PREDICTIONS', 'ENVIRONMENT', 'CODE_DIFF', 'OTHER');

-- CreateEnum
CREATE TYPE "AliasAction" AS ENUM ('SET', 'REMOVE', 'ROLLBACK');

-- AlterTable
ALTER TABLE "run_code_versions" ADD COLUMN     "diff_artifact_id" INTEGER;

-- CreateTable
CREATE TABLE "datasets" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dataset_versions" (
    "id" SERIAL NOT NULL,
    "dataset_id" INTEGER NOT NULL,
    "version" TEXT NOT NULL,
    "digest" TEXT NOT NULL,
    "source_uri" TEXT,
    "row_count" BIGINT,
    "schema" JSONB,
    "splits" JSONB,
    "coverage_start" TIMESTAMPTZ(3),
    "coverage_end" TIMESTAMPTZ(3),
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dataset_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dataset_derivations" (
    "child_id" INTEGER NOT NULL,
    "parent_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dataset_derivations_pkey" PRIMARY KEY ("child_id","parent_id")
);

-- CreateTable
CREATE TABLE "run_dataset_inputs" (
    "run_id" INTEGER NOT NULL,
    "dataset_version_id" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "run_dataset_inputs_pkey" PRIMARY KEY ("run_id","dataset_version_id","role")
);

-- CreateTable
CREATE TABLE "run_model_inputs" (
    "run_id" INTEGER NOT NULL,
    "model_version_id" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "run_model_inputs_pkey" PRIMARY KEY ("run_id","model_version_id","role")
);

-- CreateTable
CREATE TABLE "artifacts" (
    "id" SERIAL NOT NULL,
    "run_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ArtifactKind" NOT NULL,
    "digest" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "media_type" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artifacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registered_models" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "latest_version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "registered_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_versions" (
    "id" SERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "run_id" INTEGER NOT NULL,
    "artifact_id" INTEGER NOT NULL,
    "description" TEXT,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_aliases" (
    "model_id" INTEGER NOT NULL,
    "alias" TEXT NOT NULL,
    "version_id" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "model_aliases_pkey" PRIMARY KEY ("model_id","alias")
);

-- CreateTable
CREATE TABLE "model_alias_events" (
    "id" SERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "alias" TEXT NOT NULL,
    "action" "AliasAction" NOT NULL,
    "from_version_id" INTEGER,
    "to_version_id" INTEGER,
    "actor" TEXT,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "model_alias_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "datasets_name_key" ON "datasets"("name");

-- CreateIndex
CREATE INDEX "dataset_versions_digest_idx" ON "dataset_versions"("digest");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_versions_dataset_id_version_key" ON "dataset_versions"("dataset_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_versions_dataset_id_digest_key" ON "dataset_versions"("dataset_id", "digest");

-- CreateIndex
CREATE INDEX "dataset_derivations_parent_id_idx" ON "dataset_derivations"("parent_id");

-- CreateIndex
CREATE INDEX "run_dataset_inputs_dataset_version_id_role_idx" ON "run_dataset_inputs"("dataset_version_id", "role");

-- CreateIndex
CREATE INDEX "run_model_inputs_model_version_id_idx" ON "run_model_inputs"("model_version_id");

-- CreateIndex
CREATE INDEX "artifacts_run_id_kind_idx" ON "artifacts"("run_id", "kind");

-- CreateIndex
CREATE INDEX "artifacts_digest_idx" ON "artifacts"("digest");

-- CreateIndex
CREATE UNIQUE INDEX "artifacts_run_id_name_digest_key" ON "artifacts"("run_id", "name", "digest");

-- CreateIndex
CREATE UNIQUE INDEX "registered_models_name_key" ON "registered_models"("name");

-- CreateIndex
CREATE INDEX "model_versions_run_id_idx" ON "model_versions"("run_id");

-- CreateIndex
CREATE INDEX "model_versions_artifact_id_idx" ON "model_versions"("artifact_id");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_version_key" ON "model_versions"("model_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "model_versions_model_id_artifact_id_key" ON "model_versions"("model_id", "artifact_id");

-- CreateIndex
CREATE INDEX "model_aliases_version_id_idx" ON "model_aliases"("version_id");

-- CreateIndex
CREATE INDEX "model_alias_events_model_id_alias_at_idx" ON "model_alias_events"("model_id", "alias", "at");

-- AddForeignKey
ALTER TABLE "run_code_versions" ADD CONSTRAINT "run_code_versions_diff_artifact_id_fkey" FOREIGN KEY ("diff_artifact_id") REFERENCES "artifacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_derivations" ADD CONSTRAINT "dataset_derivations_child_id_fkey" FOREIGN KEY ("child_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dataset_derivations" ADD CONSTRAINT "dataset_derivations_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_dataset_inputs" ADD CONSTRAINT "run_dataset_inputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_dataset_inputs" ADD CONSTRAINT "run_dataset_inputs_dataset_version_id_fkey" FOREIGN KEY ("dataset_version_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_inputs" ADD CONSTRAINT "run_model_inputs_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "run_model_inputs" ADD CONSTRAINT "run_model_inputs_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifacts" ADD CONSTRAINT "artifacts_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_versions" ADD CONSTRAINT "model_versions_artifact_id_fkey" FOREIGN KEY ("artifact_id") REFERENCES "artifacts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_aliases" ADD CONSTRAINT "model_aliases_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_alias_events" ADD CONSTRAINT "model_alias_events_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_alias_events" ADD CONSTRAINT "model_alias_events_from_version_id_fkey" FOREIGN KEY ("from_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_alias_events" ADD CONSTRAINT "model_alias_events_to_version_id_fkey" FOREIGN KEY ("to_version_id") REFERENCES "model_versions"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Alias history is an audit trail: refuse every change to recorded events at the database
-- level too, so neither the API nor a stray script can rewrite what was in production.
-- The PostgreSQL driver adapter runs migration scripts split at every semicolon, even inside
-- quotes, so the function body spells its semicolon as the escape \073.
CREATE FUNCTION model_alias_events_append_only() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN RAISE EXCEPTION ''model_alias_events is append-only: % is not allowed'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END';

CREATE TRIGGER model_alias_events_no_update_delete
  BEFORE UPDATE OR DELETE ON "model_alias_events"
  FOR EACH ROW EXECUTE FUNCTION model_alias_events_append_only();

CREATE TRIGGER model_alias_events_no_truncate
  BEFORE TRUNCATE ON "model_alias_events"
  FOR EACH STATEMENT EXECUTE FUNCTION model_alias_events_append_only();

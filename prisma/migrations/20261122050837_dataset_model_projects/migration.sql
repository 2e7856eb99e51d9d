-- Datasets and registered models get an owning project, so project roles govern them like runs.
-- Existing rows are backfilled from the runs that touched them; what no run touched goes to a
-- project named "default" (created here only when needed; only global admins see it until
-- someone is granted a role in it).

ALTER TABLE "datasets" ADD COLUMN "project_id" INTEGER;
ALTER TABLE "registered_models" ADD COLUMN "project_id" INTEGER;

-- A dataset belongs to the project of the earliest run that read one of its versions.
UPDATE "datasets" d SET "project_id" = first_use."project_id"
FROM (
  SELECT DISTINCT ON (dv."dataset_id") dv."dataset_id", r."project_id"
  FROM "run_dataset_inputs" i
  JOIN "dataset_versions" dv ON dv."id" = i."dataset_version_id"
  JOIN "runs" r ON r."id" = i."run_id"
  ORDER BY dv."dataset_id", i."created_at", r."id"
) first_use
WHERE first_use."dataset_id" = d."id";

-- A model belongs to the project of the run that produced its first version.
UPDATE "registered_models" m SET "project_id" = first_version."project_id"
FROM (
  SELECT DISTINCT ON (mv."model_id") mv."model_id", r."project_id"
  FROM "model_versions" mv
  JOIN "runs" r ON r."id" = mv."run_id"
  ORDER BY mv."model_id", mv."version"
) first_version
WHERE first_version."model_id" = m."id";

INSERT INTO "projects" ("name", "description", "created_at")
SELECT 'default', 'Created by the migration that gave datasets and models an owner, for those no run had touched.', now()
WHERE EXISTS (SELECT 1 FROM "datasets" WHERE "project_id" IS NULL)
   OR EXISTS (SELECT 1 FROM "registered_models" WHERE "project_id" IS NULL)
ON CONFLICT ("name") DO NOTHING;

UPDATE "datasets" SET "project_id" = (SELECT "id" FROM "projects" WHERE "name" = 'default') WHERE "project_id" IS NULL;
UPDATE "registered_models" SET "project_id" = (SELECT "id" FROM "projects" WHERE "name" = 'default') WHERE "project_id" IS NULL;

ALTER TABLE "datasets" ALTER COLUMN "project_id" SET NOT NULL;
ALTER TABLE "registered_models" ALTER COLUMN "project_id" SET NOT NULL;

-- CreateIndex
CREATE INDEX "datasets_project_id_idx" ON "datasets"("project_id");

-- CreateIndex
CREATE INDEX "registered_models_project_id_idx" ON "registered_models"("project_id");

-- AddForeignKey
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registered_models" ADD CONSTRAINT "registered_models_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

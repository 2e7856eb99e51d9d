-- CreateEnum
CREATE TYPE "QuarantineAction" AS ENUM ('QUARANTINE', 'RELEASE');

-- AlterTable
ALTER TABLE "code_commits" ADD COLUMN     "committed_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "model_alias_events" ADD COLUMN     "effective_at" TIMESTAMPTZ(3);

-- Existing events took effect when they were recorded. The backfill is the only UPDATE this
-- table ever gets: one DO block (atomic) lifts the append-only trigger for it and puts it
-- back. The PostgreSQL driver adapter splits scripts at every semicolon, even inside quotes,
-- so the bodies spell theirs as the escape \073.
DO E'BEGIN ALTER TABLE model_alias_events DISABLE TRIGGER model_alias_events_no_update_delete\073 UPDATE model_alias_events SET effective_at = at\073 ALTER TABLE model_alias_events ENABLE TRIGGER model_alias_events_no_update_delete\073 END';

ALTER TABLE "model_alias_events" ALTER COLUMN "effective_at" SET NOT NULL;

-- An insert that leaves effective_at out (older writers, the benchmark seed) took effect when recorded.
CREATE FUNCTION model_alias_events_effective_default() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN NEW.effective_at := COALESCE(NEW.effective_at, NEW.at)\073 RETURN NEW\073 END';

CREATE TRIGGER model_alias_events_effective_at
  BEFORE INSERT ON "model_alias_events"
  FOR EACH ROW EXECUTE FUNCTION model_alias_events_effective_default();

-- CreateTable
CREATE TABLE "dataset_quarantine_events" (
    "id" SERIAL NOT NULL,
    "dataset_version_id" INTEGER NOT NULL,
    "action" "QuarantineAction" NOT NULL,
    "reason" TEXT NOT NULL,
    "actor" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dataset_quarantine_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dataset_quarantine_events_dataset_version_id_id_idx" ON "dataset_quarantine_events"("dataset_version_id", "id");

-- CreateIndex
CREATE INDEX "model_alias_events_model_id_alias_effective_at_idx" ON "model_alias_events"("model_id", "alias", "effective_at");

-- AddForeignKey
ALTER TABLE "dataset_quarantine_events" ADD CONSTRAINT "dataset_quarantine_events_dataset_version_id_fkey" FOREIGN KEY ("dataset_version_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Quarantines recorded before this history existed become its first events.
INSERT INTO "dataset_quarantine_events" ("dataset_version_id", "action", "reason", "actor", "at")
  SELECT "dataset_version_id", 'QUARANTINE', "reason", "quarantined_by", "at" FROM "dataset_quarantines" ORDER BY "at", "dataset_version_id";

-- Quarantine history is an audit trail like the alias history: no edits, no deletes.
CREATE FUNCTION dataset_quarantine_events_append_only() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN RAISE EXCEPTION ''dataset_quarantine_events is append-only: % is not allowed'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END';

CREATE TRIGGER dataset_quarantine_events_no_update_delete
  BEFORE UPDATE OR DELETE ON "dataset_quarantine_events"
  FOR EACH ROW EXECUTE FUNCTION dataset_quarantine_events_append_only();

CREATE TRIGGER dataset_quarantine_events_no_truncate
  BEFORE TRUNCATE ON "dataset_quarantine_events"
  FOR EACH STATEMENT EXECUTE FUNCTION dataset_quarantine_events_append_only();

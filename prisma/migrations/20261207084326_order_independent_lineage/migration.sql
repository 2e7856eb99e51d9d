-- AlterTable
ALTER TABLE "datasets" ADD COLUMN     "claimed" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "facets" JSONB;

-- AlterTable
ALTER TABLE "lineage_outbox" ADD COLUMN     "retraction_id" BIGINT,
ALTER COLUMN "edge_id" DROP NOT NULL;

-- CreateTable
CREATE TABLE "dataset_reads" (
    "id" SERIAL NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "reader_type" TEXT NOT NULL,
    "reader_id" INTEGER NOT NULL,
    "role" TEXT NOT NULL DEFAULT '',
    "version" TEXT NOT NULL DEFAULT '',
    "read_at" TIMESTAMPTZ(3) NOT NULL,
    "may_write" BOOLEAN NOT NULL,
    "actor_user_id" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dataset_reads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lineage_edge_retractions" (
    "id" BIGSERIAL NOT NULL,
    "edge_id" BIGINT NOT NULL,
    "from_type" TEXT NOT NULL,
    "from_id" INTEGER NOT NULL,
    "to_type" TEXT NOT NULL,
    "to_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "role" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "retracted_at" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "lineage_edge_retractions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "dataset_reads_namespace_name_read_at_idx" ON "dataset_reads"("namespace", "name", "read_at");

-- CreateIndex
CREATE UNIQUE INDEX "dataset_reads_reader_type_reader_id_namespace_name_version__key" ON "dataset_reads"("reader_type", "reader_id", "namespace", "name", "version", "role");

-- CreateIndex
CREATE INDEX "lineage_edge_retractions_to_type_to_id_idx" ON "lineage_edge_retractions"("to_type", "to_id");

-- CreateIndex
CREATE INDEX "lineage_outbox_retraction_id_idx" ON "lineage_outbox"("retraction_id");

-- AddForeignKey
ALTER TABLE "lineage_outbox" ADD CONSTRAINT "lineage_outbox_retraction_id_fkey" FOREIGN KEY ("retraction_id") REFERENCES "lineage_edge_retractions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: an outbox row projects an edge or removes a retracted one, never both or neither.
ALTER TABLE "lineage_outbox" ADD CONSTRAINT "lineage_outbox_one_target"
  CHECK (("edge_id" IS NULL) <> ("retraction_id" IS NULL));

-- Hand-written: lineage stays history. Two corrections are let through, nothing else:
-- an UPDATE that only moves created_at earlier (an earlier event proved the link existed
-- then), and a DELETE inside a retraction (runledger.retracting_edges set for the transaction),
-- which logs the edge in lineage_edge_retractions in the same statement. \073 is the semicolon
-- (the PostgreSQL driver adapter splits migration scripts on every one).
CREATE OR REPLACE FUNCTION "lineage_edges_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN IF TG_OP = ''DELETE'' AND current_setting(''runledger.retracting_edges'', true) = ''on'' THEN RETURN OLD\073 END IF\073 IF TG_OP = ''UPDATE'' AND NEW.id = OLD.id AND NEW.from_type = OLD.from_type AND NEW.from_id = OLD.from_id AND NEW.to_type = OLD.to_type AND NEW.to_id = OLD.to_id AND NEW.kind = OLD.kind AND NEW.role IS NOT DISTINCT FROM OLD.role AND NEW.created_at < OLD.created_at THEN RETURN NEW\073 END IF\073 RAISE EXCEPTION ''lineage_edges is append-only: % is refused'', TG_OP USING ERRCODE = ''restrict_violation''\073 END';

CREATE FUNCTION "lineage_edge_retractions_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN RAISE EXCEPTION ''lineage_edge_retractions is append-only: % is refused'', TG_OP USING ERRCODE = ''restrict_violation''\073 END';
CREATE TRIGGER "lineage_edge_retractions_no_update_delete" BEFORE UPDATE OR DELETE ON "lineage_edge_retractions"
  FOR EACH ROW EXECUTE FUNCTION "lineage_edge_retractions_append_only"();
CREATE TRIGGER "lineage_edge_retractions_no_truncate" BEFORE TRUNCATE ON "lineage_edge_retractions"
  FOR EACH STATEMENT EXECUTE FUNCTION "lineage_edge_retractions_append_only"();

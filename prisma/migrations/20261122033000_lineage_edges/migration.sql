-- CreateTable
CREATE TABLE "lineage_edges" (
    "id" BIGSERIAL NOT NULL,
    "from_type" TEXT NOT NULL,
    "from_id" INTEGER NOT NULL,
    "to_type" TEXT NOT NULL,
    "to_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "role" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "lineage_edges_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lineage_outbox" (
    "id" BIGSERIAL NOT NULL,
    "edge_id" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "next_attempt_at" TIMESTAMPTZ(3),
    "done_at" TIMESTAMPTZ(3),

    CONSTRAINT "lineage_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "lineage_edges_from_type_from_id_created_at_idx" ON "lineage_edges"("from_type", "from_id", "created_at");

-- CreateIndex
CREATE INDEX "lineage_edges_to_type_to_id_created_at_idx" ON "lineage_edges"("to_type", "to_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "lineage_edges_from_type_from_id_to_type_to_id_kind_key" ON "lineage_edges"("from_type", "from_id", "to_type", "to_id", "kind");

-- CreateIndex
CREATE INDEX "lineage_outbox_done_at_id_idx" ON "lineage_outbox"("done_at", "id");

-- CreateIndex
CREATE INDEX "lineage_outbox_edge_id_idx" ON "lineage_outbox"("edge_id");

-- AddForeignKey
ALTER TABLE "lineage_outbox" ADD CONSTRAINT "lineage_outbox_edge_id_fkey" FOREIGN KEY ("edge_id") REFERENCES "lineage_edges"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: node types and edge kinds the lineage code knows.
ALTER TABLE "lineage_edges" ADD CONSTRAINT "lineage_edges_from_type_check"
  CHECK ("from_type" IN ('CodeCommit', 'Run', 'DatasetVersion', 'Artifact', 'ModelVersion'));
ALTER TABLE "lineage_edges" ADD CONSTRAINT "lineage_edges_to_type_check"
  CHECK ("to_type" IN ('CodeCommit', 'Run', 'DatasetVersion', 'Artifact', 'ModelVersion'));
ALTER TABLE "lineage_edges" ADD CONSTRAINT "lineage_edges_kind_check"
  CHECK ("kind" IN ('INPUT_TO', 'PRODUCED', 'REGISTERED_AS', 'DERIVED_INTO', 'PARENT_OF'));

-- Hand-written: lineage is history, so edges are append-only. "As of" answers depend on it.
-- The body is an E'' string with the semicolon written as \073: the PostgreSQL driver adapter
-- splits migration scripts on every semicolon, dollar-quoted or not.
CREATE FUNCTION "lineage_edges_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN RAISE EXCEPTION ''lineage_edges is append-only: % is refused'', TG_OP USING ERRCODE = ''restrict_violation''\073 END';

CREATE TRIGGER "lineage_edges_no_update_delete" BEFORE UPDATE OR DELETE ON "lineage_edges"
  FOR EACH ROW EXECUTE FUNCTION "lineage_edges_append_only"();
CREATE TRIGGER "lineage_edges_no_truncate" BEFORE TRUNCATE ON "lineage_edges"
  FOR EACH STATEMENT EXECUTE FUNCTION "lineage_edges_append_only"();

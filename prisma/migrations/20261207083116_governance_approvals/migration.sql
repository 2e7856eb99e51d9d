-- CreateEnum
CREATE TYPE "PromotionStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED');

-- AlterEnum
ALTER TYPE "ArtifactKind" ADD VALUE 'EVAL_REPORT';

-- AlterTable
ALTER TABLE "model_alias_events" ADD COLUMN     "gate_results" JSONB,
ADD COLUMN     "promotion_request_id" INTEGER;

-- CreateTable
CREATE TABLE "approver_groups" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "members" TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT,

    CONSTRAINT "approver_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "protected_aliases" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "model_id" INTEGER,
    "alias" TEXT NOT NULL,
    "requirements" JSONB NOT NULL,
    "expires_after_hours" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT,

    CONSTRAINT "protected_aliases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion_gate_rules" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "aliases" TEXT[],

    CONSTRAINT "promotion_gate_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "project_governance" (
    "project_id" INTEGER NOT NULL,
    "override_groups" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "required_params" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "required_tags" JSONB NOT NULL DEFAULT '[]',
    "required_inputs" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "retention_days" INTEGER,
    "retention_grace_days" INTEGER NOT NULL DEFAULT 14,
    "downsample_after_days" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_by" TEXT,

    CONSTRAINT "project_governance_pkey" PRIMARY KEY ("project_id")
);

-- CreateTable
CREATE TABLE "promotion_requests" (
    "id" SERIAL NOT NULL,
    "model_id" INTEGER NOT NULL,
    "alias" TEXT NOT NULL,
    "action" "AliasAction" NOT NULL,
    "from_version_id" INTEGER,
    "to_version_id" INTEGER,
    "requested_by" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "override_reason" TEXT,
    "status" "PromotionStatus" NOT NULL DEFAULT 'PENDING',
    "requirements" JSONB NOT NULL,
    "gate_results" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "promotion_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "promotion_decisions" (
    "id" SERIAL NOT NULL,
    "request_id" INTEGER NOT NULL,
    "actor" TEXT NOT NULL,
    "decision" TEXT NOT NULL,
    "comment" TEXT,
    "groups" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "promotion_decisions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "approver_groups_project_id_name_key" ON "approver_groups"("project_id", "name");

-- CreateIndex
CREATE INDEX "protected_aliases_project_id_alias_idx" ON "protected_aliases"("project_id", "alias");

-- CreateIndex
CREATE UNIQUE INDEX "promotion_gate_rules_project_id_position_key" ON "promotion_gate_rules"("project_id", "position");

-- CreateIndex
CREATE INDEX "promotion_requests_model_id_alias_status_idx" ON "promotion_requests"("model_id", "alias", "status");

-- CreateIndex
CREATE INDEX "promotion_requests_status_id_idx" ON "promotion_requests"("status", "id");

-- CreateIndex
CREATE UNIQUE INDEX "promotion_decisions_request_id_actor_key" ON "promotion_decisions"("request_id", "actor");

-- AddForeignKey
ALTER TABLE "model_alias_events" ADD CONSTRAINT "model_alias_events_promotion_request_id_fkey" FOREIGN KEY ("promotion_request_id") REFERENCES "promotion_requests"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_requests" ADD CONSTRAINT "promotion_requests_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "registered_models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion_decisions" ADD CONSTRAINT "promotion_decisions_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "promotion_requests"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Approvals and rejections are an audit trail like the alias history: no edits, no deletes.
CREATE FUNCTION promotion_decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS E'BEGIN RAISE EXCEPTION ''promotion_decisions is append-only: % is not allowed'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END';

CREATE TRIGGER promotion_decisions_no_update_delete
  BEFORE UPDATE OR DELETE ON "promotion_decisions"
  FOR EACH ROW EXECUTE FUNCTION promotion_decisions_append_only();

CREATE TRIGGER promotion_decisions_no_truncate
  BEFORE TRUNCATE ON "promotion_decisions"
  FOR EACH STATEMENT EXECUTE FUNCTION promotion_decisions_append_only();

-- CreateIndex
CREATE INDEX "runs_project_id_id_idx" ON "runs"("project_id", "id");

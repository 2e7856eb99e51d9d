-- DropIndex
DROP INDEX "metric_summaries_key_id_last_value_idx";

-- DropIndex
DROP INDEX "params_key_value_idx";

-- DropIndex
DROP INDEX "tags_key_value_idx";

-- CreateIndex
CREATE INDEX "metric_summaries_key_id_last_value_run_id_idx" ON "metric_summaries"("key_id", "last_value", "run_id");

-- CreateIndex
CREATE INDEX "params_key_value_run_id_idx" ON "params"("key", "value", "run_id");

-- CreateIndex
CREATE INDEX "tags_key_value_run_id_idx" ON "tags"("key", "value", "run_id");

-- Extended statistics (schema.prisma cannot express them). A param or tag value means
-- something only under its key, so the planner needs the joint (key, value) frequencies:
-- assuming independence, it expected 718 runs with params.p00 = '0.001' where the benchmark
-- workload has 16,746, and chose a plan that read all of params.
CREATE STATISTICS "params_key_value_stats" (mcv) ON "key", "value" FROM "params";
CREATE STATISTICS "tags_key_value_stats" (mcv) ON "key", "value" FROM "tags";
-- Gather them now rather than at the next autoanalyze.
ANALYZE "params", "tags";

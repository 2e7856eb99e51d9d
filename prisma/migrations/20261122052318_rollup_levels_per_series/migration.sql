-- A series now keeps only the rollup levels its step span needs: levels 2 up to the first
-- one at which the whole series falls into one bucket. That needs the series' first step.
ALTER TABLE "metric_summaries" ADD COLUMN "first_step" BIGINT;

UPDATE "metric_summaries" s
SET "first_step" = (SELECT min(p.step) FROM "metric_points" p WHERE p.run_id = s.run_id AND p.key_id = s.key_id);
-- A summary always has points; this only guards against a hand-edited database.
UPDATE "metric_summaries" SET "first_step" = "last_step" WHERE "first_step" IS NULL;

ALTER TABLE "metric_summaries" ALTER COLUMN "first_step" SET NOT NULL;

-- Rows above a series' top level would otherwise be counted twice once the series grows
-- into that level (it is then rebuilt from the level below).
DELETE FROM "metric_rollups" r
USING "metric_summaries" s
WHERE r.run_id = s.run_id AND r.key_id = s.key_id
  AND r.level > COALESCE((SELECT min(l) FROM generate_series(2, 11) l WHERE (s.first_step >> (2 * l)) = (s.last_step >> (2 * l))), 11);

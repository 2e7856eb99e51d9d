-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ArtifactKind" ADD VALUE 'IMAGE';
ALTER TYPE "ArtifactKind" ADD VALUE 'TABLE';
ALTER TYPE "ArtifactKind" ADD VALUE 'HISTOGRAM';
ALTER TYPE "ArtifactKind" ADD VALUE 'CONSOLE';

-- AlterTable
ALTER TABLE "artifacts" ADD COLUMN     "media_key" TEXT,
ADD COLUMN     "step" BIGINT;

-- CreateIndex
CREATE INDEX "artifacts_run_id_media_key_step_idx" ON "artifacts"("run_id", "media_key", "step");

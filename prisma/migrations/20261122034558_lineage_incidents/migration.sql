-- AlterTable
ALTER TABLE "model_alias_events" ADD COLUMN     "overridden_dataset_version_ids" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
ADD COLUMN     "override_reason" TEXT;

-- CreateTable
CREATE TABLE "dataset_quarantines" (
    "dataset_version_id" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "quarantined_by" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dataset_quarantines_pkey" PRIMARY KEY ("dataset_version_id")
);

-- AddForeignKey
ALTER TABLE "dataset_quarantines" ADD CONSTRAINT "dataset_quarantines_dataset_version_id_fkey" FOREIGN KEY ("dataset_version_id") REFERENCES "dataset_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

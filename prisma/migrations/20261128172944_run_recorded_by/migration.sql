-- AlterTable
ALTER TABLE "runs" ADD COLUMN     "recorded_by" TEXT;

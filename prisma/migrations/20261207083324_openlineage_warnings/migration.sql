-- AlterTable
ALTER TABLE "openlineage_events" ADD COLUMN     "warnings" TEXT[] DEFAULT ARRAY[]::TEXT[],
ALTER COLUMN "schema_url" DROP NOT NULL;

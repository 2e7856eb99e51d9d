-- CreateTable
CREATE TABLE "lineage_projection_state" (
    "id" INTEGER NOT NULL,
    "covered_through" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "lineage_projection_state_pkey" PRIMARY KEY ("id")
);

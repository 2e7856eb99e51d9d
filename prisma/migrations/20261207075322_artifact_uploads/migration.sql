-- CreateTable
CREATE TABLE "artifact_uploads" (
    "id" SERIAL NOT NULL,
    "token" TEXT NOT NULL,
    "run_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ArtifactKind" NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "media_type" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "artifact_id" INTEGER,

    CONSTRAINT "artifact_uploads_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "artifact_uploads_token_key" ON "artifact_uploads"("token");

-- CreateIndex
CREATE INDEX "artifact_uploads_expires_at_idx" ON "artifact_uploads"("expires_at");

-- AddForeignKey
ALTER TABLE "artifact_uploads" ADD CONSTRAINT "artifact_uploads_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

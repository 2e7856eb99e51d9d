-- CreateTable
CREATE TABLE "artifact_upload_sessions" (
    "id" SERIAL NOT NULL,
    "token" TEXT NOT NULL,
    "run_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ArtifactKind" NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "media_type" TEXT NOT NULL,
    "received_bytes" BIGINT NOT NULL DEFAULT 0,
    "chunk_count" INTEGER NOT NULL DEFAULT 0,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "artifact_id" INTEGER,

    CONSTRAINT "artifact_upload_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact_upload_chunks" (
    "session_id" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "digest" TEXT NOT NULL,
    "size_bytes" BIGINT NOT NULL,

    CONSTRAINT "artifact_upload_chunks_pkey" PRIMARY KEY ("session_id","offset")
);

-- CreateIndex
CREATE UNIQUE INDEX "artifact_upload_sessions_token_key" ON "artifact_upload_sessions"("token");

-- CreateIndex
CREATE INDEX "artifact_upload_sessions_expires_at_idx" ON "artifact_upload_sessions"("expires_at");

-- CreateIndex
CREATE INDEX "artifact_upload_chunks_digest_idx" ON "artifact_upload_chunks"("digest");

-- AddForeignKey
ALTER TABLE "artifact_upload_sessions" ADD CONSTRAINT "artifact_upload_sessions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "artifact_upload_chunks" ADD CONSTRAINT "artifact_upload_chunks_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "artifact_upload_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

// The S3 adapter's multipart upload: parts sent as the stream fills them, a few in flight.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

export type Send = S3Client['send'];

export function sender(client: S3Client): Send {
  return client.send.bind(client) as Send;
}

/**
 * One multipart upload (to a content or staging key), started on its first part; at most `concurrency`
 * parts in flight, so memory stays at a few parts whatever the file's size.
 */
export class PartUploader {
  private uploadId: string | null = null;
  private readonly parts: { PartNumber: number; ETag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;
  private completed = false;

  constructor(
    private readonly send: Send,
    private readonly bucket: string,
    readonly key: string,
    private readonly concurrency: number,
  ) {}

  get started(): boolean {
    return this.uploadId !== null;
  }

  get done(): boolean {
    return this.completed;
  }

  async part(body: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    this.uploadId ??= (await this.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }))).UploadId ?? null;
    const PartNumber = this.parts.length + this.inFlight.size + 1;
    const task = this.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId!, PartNumber, Body: body, ContentLength: body.length }),
    )
      .then((r) => {
        this.parts.push({ PartNumber, ETag: r.ETag ?? '' });
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  async complete(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    const Parts = [...this.parts].sort((a, b) => a.PartNumber - b.PartNumber);
    await this.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId!, MultipartUpload: { Parts } }));
    this.completed = true;
  }

  /** Aborts the upload, or removes the staging object once it was completed. */
  async discard(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    if (this.completed) await this.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key }));
    else if (this.uploadId) await this.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
  }
}

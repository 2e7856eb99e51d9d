// Cleanup of what interrupted S3 uploads leave behind (npm run artifacts:gc, and tests).
import { AbortMultipartUploadCommand, DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { sender } from './s3-multipart.js';

/**
 * Removes what failed uploads left behind: staging objects under <prefix>tmp/ and unfinished
 * multipart uploads under <prefix>, started before `olderThan`. Returns how many of each it removed.
 */
export async function sweepStaging(
  store: { client: S3Client; bucket: string; prefix: string },
  olderThan: Date,
): Promise<{ objects: number; uploads: number }> {
  const send = sender(store.client);
  const tmp = `${store.prefix}tmp/`;
  let objects = 0;
  let uploads = 0;
  let token: string | undefined;
  do {
    const page = await send(new ListObjectsV2Command({ Bucket: store.bucket, Prefix: tmp, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.Key && object.LastModified && object.LastModified < olderThan) {
        await send(new DeleteObjectCommand({ Bucket: store.bucket, Key: object.Key }));
        objects += 1;
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  // Uploads with an announced digest go straight to their content key, so unfinished ones may be anywhere under the prefix.
  const open = await send(new ListMultipartUploadsCommand({ Bucket: store.bucket, Prefix: store.prefix }));
  for (const upload of open.Uploads ?? []) {
    if (upload.Key && upload.UploadId && upload.Initiated && upload.Initiated < olderThan) {
      await send(new AbortMultipartUploadCommand({ Bucket: store.bucket, Key: upload.Key, UploadId: upload.UploadId }));
      uploads += 1;
    }
  }
  return { objects, uploads };
}

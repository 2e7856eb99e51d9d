// The digest of a dataset version known only by its label (from OpenLineage, or a placeholder).
import { createHash } from 'node:crypto';

/**
 * The digest given to a version first seen in an OpenLineage event, which names a version but
 * carries no content digest: sha256 of "openlineage\n<namespace>\n<name>\n<version>".
 */
export function lineageDigest(namespace: string, name: string, version: string): string {
  return createHash('sha256').update(`openlineage\n${namespace}\n${name}\n${version}`).digest('hex');
}

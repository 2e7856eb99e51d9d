// Relay global ids: "Type:id" in base64. Decoding checks the type, so an id of one kind
// cannot address another.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError, ValidationError } from './errors.js';

export function decodeId(typename: string, globalId: string, field: string): number {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw new ValidationError(field, `${JSON.stringify(globalId)} is not a valid ${typename} id`);
  }
  const id = Number(decoded.id);
  if (decoded.typename !== typename || !Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) {
    if (decoded.typename && decoded.typename !== typename) {
      throw new ValidationError(field, `expected a ${typename} id but got a ${decoded.typename} id`);
    }
    throw new NotFoundError(typename, globalId);
  }
  return id;
}

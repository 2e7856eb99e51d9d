// The input rules as data: schema/input-rules.json, the one definition that the edge (src/input-rules.ts), the services (src/validation.ts) and the Python client all read.
import { readFileSync } from 'node:fs';

export interface InputSpec {
  text: { forbidNul: boolean; forbidLoneSurrogates: boolean };
  json: { maxDepth: number };
  instant: { min: string; max: string };
  key: { pattern: string; characters: string; maxLength: number; noLeadingSlash: boolean; forbiddenSegments: string[] };
  displayName: { maxLength: number; forbiddenCategories: string[] };
  metricValue: { specials: string[] };
  step: { min: number; max: number };
  limits: {
    nameLength: number;
    /** Project (MLflow experiment) names: MLflow's limit. */
    projectNameLength: number;
    keyLength: number;
    paramValueLength: number;
    tagValueLength: number;
    notesLength: number;
    pointsPerBatch: number;
    paramsPerBatch: number;
    tagsPerBatch: number;
    pageSize: number;
    idempotencyKeyLength: number;
    seedLength: number;
  };
}

/** The spec's file, for tests that compare the server's rules with the client's copy. */
export const INPUT_RULES_PATH = new URL('../schema/input-rules.json', import.meta.url);
export const INPUT_RULES: Readonly<InputSpec> = Object.freeze(JSON.parse(readFileSync(INPUT_RULES_PATH, 'utf8')) as InputSpec);

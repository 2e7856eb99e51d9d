// MLflow's system tags that runledger keeps as first-class run fields (the tags stay too, so
// MLflow clients read back what they wrote): the git tags become the run's code version (a
// CodeCommit lineage node), mlflow.parentRunId the parent, mlflow.user the user and
// mlflow.runName the name. An MLflow script so draws the same lineage as a native one.
import type { CodeVersionInput, TagInput } from '../../modules/runs/service.js';
import { parseMlflowRunId } from '../../modules/runs/mlflow-id.js';
import { doesNotExist } from './errors.js';

export const RUN_NAME_TAG = 'mlflow.runName';
const GIT_COMMIT = 'mlflow.source.git.commit';
const GIT_REPO = 'mlflow.source.git.repoURL';
const GIT_BRANCH = 'mlflow.source.git.branch';
const GIT_DIRTY = 'mlflow.source.git.dirty';
const SOURCE_NAME = 'mlflow.source.name';
const PARENT = 'mlflow.parentRunId';
const USER = 'mlflow.user';

export interface RunFields {
  name: string | null;
  user: string | null;
  parentRunId: number | null;
  codeVersion: CodeVersionInput | null;
}

/** The run fields MLflow's system tags carry. A git commit without a repository URL is named by the script's source. */
export function fieldsFromTags(tags: readonly TagInput[]): RunFields {
  const get = (key: string) => tags.find((t) => t.key === key)?.value?.trim() || null;
  const commit = get(GIT_COMMIT);
  const parent = get(PARENT);
  let parentRunId: number | null = null;
  if (parent) {
    parentRunId = parseMlflowRunId(parent);
    if (parentRunId === null) throw doesNotExist(`tags.${PARENT}: parent run with id=${parent} not found`);
  }
  return {
    name: get(RUN_NAME_TAG),
    user: get(USER),
    parentRunId,
    codeVersion: commit
      ? {
          repository: get(GIT_REPO) ?? get(SOURCE_NAME) ?? 'unknown',
          commit,
          branch: get(GIT_BRANCH),
          dirty: ['true', '1'].includes((get(GIT_DIRTY) ?? '').toLowerCase()),
        }
      : null,
  };
}

// MLflow's system tags that runledger keeps as first-class run fields (the tags stay too, so
// MLflow clients read back what they wrote): the git tags become the run's code version (a
// CodeCommit lineage node), mlflow.parentRunId the parent, mlflow.user the user and
// mlflow.runName the name. An MLflow script so draws the same lineage as a native one.
import type { CodeVersionInput, TagInput } from '../../modules/runs/service.js';
import { isCommitId } from '../../modules/runs/code-version.js';
import { parseMlflowRunId } from '../../modules/runs/mlflow-id.js';

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
  // Text that is no commit id (MLflow accepts any) stays a tag and makes no code version.
  const commit = get(GIT_COMMIT);
  const commitId = commit && isCommitId(commit) ? commit : null;
  const parent = get(PARENT);
  // Text that cannot name a run stays a tag and links nothing, as MLflow's server keeps it.
  const parentRunId = parent ? parseMlflowRunId(parent) : null;
  return {
    name: get(RUN_NAME_TAG),
    user: get(USER),
    parentRunId,
    codeVersion: commitId
      ? {
          repository: get(GIT_REPO) ?? get(SOURCE_NAME) ?? 'unknown',
          commit: commitId,
          branch: get(GIT_BRANCH),
          dirty: ['true', '1'].includes((get(GIT_DIRTY) ?? '').toLowerCase()),
        }
      : null,
  };
}

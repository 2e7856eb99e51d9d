// mlflowRun and mlflowExperiment: the lookups behind the MLflow UI links the dashboard opens.
// Hidden runs and projects answer null, like missing ones; "0" is the Default project (seeded by a migration, owned by no one).
import { describe, expect, it } from 'vitest';
import { newProject, newRun } from '../support/factories.js';
import { startServer, testConfig } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const LOOKUP = 'query($run: String!, $experiment: String!) { mlflowRun(id: $run) { id name } mlflowExperiment(id: $experiment) { name } }';

describe('MLflow id lookups', () => {
  it('map MLflow ids to the run and project the caller may see, and nothing else', async () => {
    const s = await startServer(testConfig({ RUNLEDGER_AUTH: 'on' }));
    try {
      const { admin, ana } = await signInUsers(s);
      const project = await newProject(admin.client, 'mlflow-links');
      const run = await newRun(admin.client, project, { name: 'linked' });
      const ids = await admin.client.data<{ run: { mlflowRunId: string; project: { mlflowExperimentId: string } } }, unknown>(
        'query($id: ID!) { run(id: $id) { mlflowRunId project { mlflowExperimentId } } }',
        { id: run.id },
      );
      const vars = { run: ids.run.mlflowRunId, experiment: ids.run.project.mlflowExperimentId };
      expect(await admin.client.data(LOOKUP, vars)).toEqual({ mlflowRun: { id: run.id, name: 'linked' }, mlflowExperiment: { name: project } });
      expect(await ana.client.data(LOOKUP, vars)).toEqual({ mlflowRun: null, mlflowExperiment: null });
      expect(await admin.client.data(LOOKUP, { run: 'not-hex', experiment: '12x' })).toEqual({ mlflowRun: null, mlflowExperiment: null });
      // Experiment "0" is the Default project, which only a global admin sees until roles in it are granted.
      const fallback = { run: 'f'.repeat(32), experiment: '0' };
      expect(await admin.client.data(LOOKUP, fallback)).toEqual({ mlflowRun: null, mlflowExperiment: { name: 'Default' } });
      expect(await ana.client.data(LOOKUP, fallback)).toEqual({ mlflowRun: null, mlflowExperiment: null });
    } finally {
      await s.app.stop();
    }
  });
});

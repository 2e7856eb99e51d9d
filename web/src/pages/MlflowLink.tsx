// Links from MLflow clients: they print <tracking-uri>/#/experiments/<experimentId>/runs/<runId>
// (and /#/experiments/<id>, /#/models/<name>/versions/<v>). The server serves this dashboard at
// that URI, so the hash arrives here; it names MLflow ids, which the API maps to runledger's
// (mlflowRun, mlflowExperiment). The page replaces itself with the run, runs or model page.
import { useEffect } from 'react';
import { useQuery } from '../hooks';
import { Link, enc, navigate } from '../router';
import { ErrorBox, Loading } from '../components/ui';

export type MlflowTarget = { kind: 'run'; experiment: string; run: string } | { kind: 'experiment'; experiment: string } | { kind: 'model'; name: string };

/** What an MLflow UI hash points at, or null when it is no MLflow link. */
export function mlflowTarget(hash: string): MlflowTarget | null {
  const parts = hash.replace(/^#\/?/, '').split(/[?]/)[0]!.split('/').filter(Boolean).map(decodePart);
  if (parts[0] === 'experiments' && parts[1]) {
    if (parts[2] === 'runs' && parts[3]) return { kind: 'run', experiment: parts[1], run: parts[3] };
    return { kind: 'experiment', experiment: parts[1] };
  }
  if (parts[0] === 'models' && parts[1]) return { kind: 'model', name: parts[1] };
  return null;
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

interface Found {
  mlflowRun?: { id: string } | null;
  mlflowExperiment?: { name: string } | null;
}

export function MlflowLink({ target }: { target: MlflowTarget }) {
  const q = useQuery<Found>(
    target.kind === 'run'
      ? 'query($run: String!, $experiment: String!) { mlflowRun(id: $run) { id } mlflowExperiment(id: $experiment) { name } }'
      : 'query($experiment: String!) { mlflowExperiment(id: $experiment) { name } }',
    target.kind === 'run' ? { run: target.run, experiment: target.experiment } : target.kind === 'experiment' ? { experiment: target.experiment } : {},
    { skip: target.kind === 'model' },
  );
  const to =
    target.kind === 'model'
      ? `/models/${enc(target.name)}`
      : target.kind === 'run' && q.data?.mlflowRun
        ? `/runs/${enc(q.data.mlflowRun.id)}`
        : target.kind === 'experiment' && q.data?.mlflowExperiment
          ? `/projects/${enc(q.data.mlflowExperiment.name)}/runs`
          : null;
  useEffect(() => {
    if (to) navigate(to, { replace: true });
  }, [to]);
  if (q.error) return <ErrorBox error={q.error} />;
  if (!q.data || to) return <Loading what="Opening the MLflow link" />;
  const experiment = q.data.mlflowExperiment;
  return (
    <div className="empty" role="alert">
      {target.kind === 'run' ? (
        <>
          No run with MLflow id <code>{target.run}</code> (or you may not see it).{' '}
          {experiment && <Link to={`/projects/${enc(experiment.name)}/runs`}>Runs of {experiment.name}</Link>}
        </>
      ) : (
        <>
          No experiment with id <code>{target.kind === 'experiment' ? target.experiment : ''}</code> (or you may not see it). <Link to="/">Projects</Link>
        </>
      )}
    </div>
  );
}

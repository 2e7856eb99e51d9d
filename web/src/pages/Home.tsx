// Every project the caller may see.
import { useQuery } from '../hooks';
import { Link, enc } from '../router';
import { Card, ErrorBox, Loading, PageHeader } from '../components/ui';
import { fmtTime } from '../format';

interface Data {
  projects: { edges: { node: { name: string; description: string | null; createdAt: string; myRole: string | null; runs: { totalCount: number } } }[] };
}

export function HomePage() {
  const q = useQuery<Data>('{ projects(first: 100) { edges { node { name description createdAt myRole runs(first: 0) { totalCount } } } } }', {});
  return (
    <div className="page">
      <PageHeader title="Projects" sub="Pick a project to see its runs." />
      <ErrorBox error={q.error} />
      {q.loading && !q.data && <Loading />}
      {q.data && (
        <Card>
          {q.data.projects.edges.length === 0 ? (
            <p className="muted">No projects yet. Log a run (see the README) and it appears here.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Project</th>
                  <th>Description</th>
                  <th className="num">Runs</th>
                  <th>Your role</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                {q.data.projects.edges.map(({ node: p }) => (
                  <tr key={p.name}>
                    <td>
                      <Link to={`/projects/${enc(p.name)}/runs`} className="strong">
                        {p.name}
                      </Link>
                    </td>
                    <td className="muted">{p.description ?? ''}</td>
                    <td className="num">{p.runs.totalCount.toLocaleString()}</td>
                    <td>{p.myRole?.toLowerCase() ?? '—'}</td>
                    <td>{fmtTime(p.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      )}
    </div>
  );
}

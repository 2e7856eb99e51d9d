// Every project the caller may see.
import { ProjectsDocument } from '../generated/graphql';
import { usePages } from '../hooks';
import { Link, enc } from '../router';
import { Card, LoadMore, PageHeader, PagesStatus, RelativeTime } from '../components/ui';

export function HomePage() {
  const q = usePages(ProjectsDocument, {}, (d) => d.projects);
  return (
    <div className="page">
      <PageHeader title="Projects" sub="Pick a project to see its runs." />
      <PagesStatus
        q={q}
        empty={
          <Card>
            <p className="muted">No projects yet. Log a run (see the README) and it appears here.</p>
          </Card>
        }
      />
      {q.items.length > 0 && (
        <Card>
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
              {q.items.map((p) => (
                <tr key={p.name}>
                  <td>
                    <Link to={`/projects/${enc(p.name)}/runs`} className="strong">
                      {p.name}
                    </Link>
                  </td>
                  <td className="muted">{p.description ?? ''}</td>
                  <td className="num">{p.runs.totalCount.toLocaleString()}</td>
                  <td>{p.myRole?.toLowerCase() ?? '—'}</td>
                  <td>
                    <RelativeTime iso={p.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore more={q.more} what="more projects" />
        </Card>
      )}
    </div>
  );
}

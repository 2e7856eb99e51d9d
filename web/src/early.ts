// The first script of the page, a few kilobytes run as soon as the page is parsed: it sends
// the first queries of the page opened (a run's page, a project's runs) while the app's code
// still loads and compiles, which took 100 to 300 ms under load before the app could send
// them; the app's gql() takes their answers (web/src/post.ts).
import { RunDocument, RunKeysDocument, RunsCountDocument, RunsDocument } from './generated/graphql';
import { runVariables } from './pages/run-query';
import { runsPageVariables } from './pages/runs-first';
import { postEarly } from './post';

const [root, id] = location.pathname.split('/').filter(Boolean);
if (root === 'runs' && id) postEarly(RunDocument.toString(), runVariables(decodeURIComponent(id)));
const runs = runsPageVariables(location.pathname, location.search);
if (runs) {
  postEarly(RunKeysDocument.toString(), runs.keys);
  postEarly(RunsDocument.toString(), runs.rows);
  postEarly(RunsCountDocument.toString(), runs.count);
}

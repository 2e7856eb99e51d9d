// The run page's Reproduce card: the recipe `runledger reproduce` follows (clients/python/runledger/reproduce.py),
// read from the fields the page already loaded, and the command that carries it out.
import { useState } from 'react';
import type { RunQuery } from '../generated/graphql';
import { Link, enc } from '../router';
import { Card, KeyValues } from '../components/ui';
import { fmtBytes } from '../format';

type Run = NonNullable<RunQuery['run']>;

/** What the client's capture records under Run.environment that the recipe uses (capture.environment()). */
interface Captured {
  command: string[] | null;
  cwdInRepo: string;
  env: [string, string][];
  python: string | null;
}

function captured(environment: unknown): Captured {
  const e = environment && typeof environment === 'object' ? (environment as Record<string, unknown>) : {};
  const command = Array.isArray(e.command) && e.command.every((a) => typeof a === 'string') ? (e.command as string[]) : null;
  const env =
    e.env && typeof e.env === 'object'
      ? Object.entries(e.env as Record<string, unknown>).filter((kv): kv is [string, string] => typeof kv[1] === 'string')
      : [];
  return {
    command: command && command.length > 0 ? command : null,
    cwdInRepo: typeof e.cwd_in_repo === 'string' ? e.cwd_in_repo : '.',
    env: env.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    python: typeof e.python === 'string' ? e.python : null,
  };
}

/** A word as POSIX sh reads it back unchanged (Python's shlex.quote, which the CLI's script uses). */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** The CLI invocation, with a directory named after the run. */
export function reproduceCommand(run: { id: string; name: string }): string {
  const dir = `reproduce-${run.name.replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '')}`.slice(0, 80);
  return `runledger reproduce ${shellQuote(run.id)} --dir ${shellQuote(dir)}`;
}

function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  return (
    <button type="button" className="ghost" onClick={copy} data-testid="copy-reproduce">
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the command' : 'Copy'}
    </button>
  );
}

function codeItems(cv: NonNullable<Run['codeVersion']>) {
  const diff = cv.diff ? (
    <>
      captured, {fmtBytes(cv.diff.sizeBytes)} (applied after checkout) ·{' '}
      <a href={cv.diff.downloadUrl} download="git.diff">
        download git.diff
      </a>
    </>
  ) : cv.dirty ? (
    <span className="badge warn">the working tree was dirty but no diff was captured: the code may differ</span>
  ) : (
    'none (clean working tree)'
  );
  return [
    { key: 'repository', value: <code>{cv.repository}</code> },
    { key: 'commit', value: <code>{cv.commit}</code> },
    ...(cv.branch ? [{ key: 'branch', value: cv.branch }] : []),
    { key: 'diff', value: diff },
  ];
}

export function ReproduceCard({ run }: { run: Run }) {
  const cv = run.codeVersion;
  const c = captured(run.environment);
  const lock = run.artifacts.find((a) => a.kind === 'ENVIRONMENT' && a.name === 'requirements.txt');
  const datasets = run.inputs.flatMap((i) => (i.datasetVersion ? [{ role: i.role, dv: i.datasetVersion }] : []));
  const command = reproduceCommand(run);
  return (
    <Card title="Reproduce" className="reproduce">
      {cv ? (
        <div className="reproduce-command">
          <code data-testid="reproduce-command">{command}</code> <CopyButton text={command} />
          <p className="muted">
            Checks out the commit, applies the diff, writes the lockfile and <code>reproduce.sh</code> (the command line with these variables and seed), and
            verifies each input's digest where its data can be read.
          </p>
        </div>
      ) : (
        <p className="muted" data-testid="reproduce-command">
          This run recorded no git commit, so <code>runledger reproduce</code> has nothing to check out (start runs from a git checkout with capture on).
        </p>
      )}
      <KeyValues
        items={[
          ...(cv ? codeItems(cv) : []),
          {
            key: 'command',
            value: c.command ? <code data-testid="reproduce-cmdline">{c.command.map(shellQuote).join(' ')}</code> : <span className="muted">not recorded</span>,
          },
          ...(c.command ? [{ key: 'runs in', value: <code>{c.cwdInRepo}</code> }] : []),
          { key: 'seed', value: run.seed != null ? <code data-testid="reproduce-seed">{run.seed}</code> : <span className="muted">not recorded</span> },
          {
            key: 'environment',
            value: c.env.length ? (
              <code data-testid="reproduce-env">
                {c.env.map(([k, v]) => (
                  <div key={k}>
                    {k}={shellQuote(v)}
                  </div>
                ))}
              </code>
            ) : (
              <span className="muted">no variables recorded</span>
            ),
          },
          ...(c.python ? [{ key: 'python', value: c.python }] : []),
          {
            key: 'packages',
            value: lock ? (
              <a href={lock.downloadUrl} download="requirements.txt">
                requirements.txt ({fmtBytes(lock.sizeBytes)})
              </a>
            ) : (
              <span className="muted">no lockfile captured</span>
            ),
          },
        ]}
      />
      <h3>Input datasets</h3>
      {datasets.length === 0 ? (
        <p className="muted">none logged</p>
      ) : (
        <table className="table" data-testid="reproduce-datasets">
          <thead>
            <tr>
              <th>Role</th>
              <th>Dataset</th>
              <th>sha256</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {datasets.map(({ role, dv }) => (
              <tr key={`${role}/${dv.id}`}>
                <td>{role}</td>
                <td>
                  <Link to={`/lineage/${enc(dv.id)}`}>
                    {dv.dataset.name}@{dv.version}
                  </Link>
                </td>
                <td>
                  <code>{dv.digest}</code>
                </td>
                <td>{dv.sourceUri ? <code>{dv.sourceUri}</code> : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

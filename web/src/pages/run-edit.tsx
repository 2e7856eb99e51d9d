// Editing a run from its page: notes, tags (add, change, remove), and deleting or restoring
// it, through updateRun, setTags, deleteRun and restoreRun. Params are immutable and stay read-only.
import { type FormEvent, useState } from 'react';
import { DeleteRunDocument, RestoreRunDocument, type RunPatchFragment, SetTagsDocument, UpdateRunDocument } from '../generated/graphql';
import { useMutation } from '../hooks';
import { ErrorBox } from '../components/ui';

/** The fields an edit changes, as the mutations return them (the RunPatch fragment). */
export type RunPatch = RunPatchFragment;
type Saved = (run: RunPatch) => void;

export function NotesEditor({ runId, notes, onSaved }: { runId: string; notes: string | null; onSaved: Saved }) {
  const [draft, setDraft] = useState<string | null>(null);
  const m = useMutation(UpdateRunDocument);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const data = await m.run({ i: { runId, notes: draft ?? '' } });
    if (data) {
      setDraft(null);
      onSaved(data.updateRun.run);
    }
  };
  if (draft === null) {
    return (
      <div className="notes" data-testid="notes">
        {notes ? <p className="notes-text">{notes}</p> : <p className="muted">No notes.</p>}
        <button type="button" className="ghost small" onClick={() => setDraft(notes ?? '')}>
          Edit notes
        </button>
      </div>
    );
  }
  return (
    <form className="stack" onSubmit={save} data-testid="notes-form">
      <textarea
        name="notes"
        rows={5}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        // biome-ignore lint/a11y/noAutofocus: the user just pressed Edit notes to open this editor
        autoFocus
        placeholder="What this run tried, what it showed"
      />
      <div className="row">
        <button type="submit" className="small" disabled={m.busy}>
          Save notes
        </button>
        <button type="button" className="ghost small" onClick={() => setDraft(null)}>
          Cancel
        </button>
      </div>
      <ErrorBox error={m.error} />
    </form>
  );
}

export function TagsEditor({ runId, tags, onSaved }: { runId: string; tags: { key: string; value: string }[]; onSaved: Saved }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [editing, setEditing] = useState<{ key: string; value: string } | null>(null);
  const m = useMutation(SetTagsDocument);
  const send = async (input: { tags?: { key: string; value: string }[]; remove?: string[] }) => {
    const data = await m.run({ i: { runId, ...input } });
    if (data) {
      setEditing(null);
      onSaved(data.setTags.run);
      return true;
    }
    return false;
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    if (await send({ tags: [{ key: key.trim(), value }] })) {
      setKey('');
      setValue('');
    }
  };
  return (
    <div className="stack" data-testid="tags">
      {tags.length === 0 && <p className="muted">No tags.</p>}
      <dl className="kv">
        {tags.map((t) => (
          <div key={t.key} data-tag={t.key}>
            <dt>{t.key}</dt>
            <dd className="tag-value">
              {editing?.key === t.key ? (
                <form
                  className="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void send({ tags: [{ key: t.key, value: editing.value }] });
                  }}
                >
                  <input
                    value={editing.value}
                    onChange={(e) => setEditing({ key: t.key, value: e.target.value })}
                    // biome-ignore lint/a11y/noAutofocus: the user just pressed edit on this tag to open its editor
                    autoFocus
                    name="tag-edit"
                  />
                  <button type="submit" className="small" disabled={m.busy}>
                    Save
                  </button>
                  <button type="button" className="ghost small" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <>
                  <span className="tag-text">{t.value}</span>
                  <span className="tag-actions">
                    <button type="button" className="link small" onClick={() => setEditing(t)} aria-label={`edit tag ${t.key}`}>
                      edit
                    </button>
                    <button type="button" className="link small danger-link" onClick={() => void send({ remove: [t.key] })} aria-label={`remove tag ${t.key}`}>
                      remove
                    </button>
                  </span>
                </>
              )}
            </dd>
          </div>
        ))}
      </dl>
      <form className="row" onSubmit={add} data-testid="add-tag">
        <input placeholder="key" value={key} onChange={(e) => setKey(e.target.value)} name="tag-key" className="narrow-w" />
        <input placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} name="tag-value" />
        <button type="submit" className="small" disabled={!key.trim() || m.busy}>
          Add tag
        </button>
      </form>
      <ErrorBox error={m.error} />
    </div>
  );
}

/** Delete (asks once more) or, for a deleted run, restore. */
export function DeleteRestoreButton({ runId, deleted, onDone }: { runId: string; deleted: boolean; onDone: Saved }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(DeleteRunDocument);
  const restore = useMutation(RestoreRunDocument);
  const m = deleted ? restore : remove;
  const act = async () => {
    if (!deleted && !confirming) return setConfirming(true);
    setConfirming(false);
    const run = deleted ? (await restore.run({ i: { runId } }))?.restoreRun.run : (await remove.run({ i: { runId } }))?.deleteRun.run;
    if (run) onDone(run);
  };
  return (
    <>
      <button
        type="button"
        className={deleted ? '' : 'danger'}
        onClick={() => void act()}
        disabled={m.busy}
        data-testid={deleted ? 'restore-run' : 'delete-run'}
      >
        {deleted ? 'Restore' : confirming ? 'Really delete?' : 'Delete'}
      </button>
      {confirming && (
        <button type="button" className="ghost" onClick={() => setConfirming(false)}>
          Keep
        </button>
      )}
      <ErrorBox error={m.error} />
    </>
  );
}

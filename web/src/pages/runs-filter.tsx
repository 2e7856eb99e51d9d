// The runs page's filter box: the filter language, with a refused filter's error shown at
// the offending token, both in the box and below it.
import { type FormEvent, useEffect, useState } from 'react';
import { setQuery } from '../router';
import type { filterErrorAt } from './runs-query';

export function FilterBox({ value, error }: { value: string; error: ReturnType<typeof filterErrorAt> }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQuery({ filter: text.trim() });
  };
  const at = error ? Math.max(0, error.column - 1) : 0;
  const length = error?.token ? Math.max(1, error.token.length) : 1;
  return (
    <form className={`filter ${error ? 'has-error' : ''}`} onSubmit={submit}>
      <div className="filter-input">
        <input
          name="filter"
          spellCheck={false}
          placeholder="metrics.val_auc > 0.9 and (params.lr = '0.01' or tags.team IN ('a', 'b'))"
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="filter-input"
        />
        {error && text === value && (
          // The same text, invisible but for the offending token, laid over the input.
          <div className="filter-overlay" aria-hidden>
            <span>{value.slice(0, at)}</span>
            <mark>{value.slice(at, at + length) || ' '}</mark>
          </div>
        )}
      </div>
      <button type="submit">Filter</button>
      {value && (
        <button type="button" className="ghost" onClick={() => setQuery({ filter: '' })}>
          Clear
        </button>
      )}
      {error && (
        <div className="filter-error" role="alert" data-testid="filter-error">
          <code>
            {value.slice(0, at)}
            <mark>{value.slice(at, at + length) || ' '}</mark>
            {value.slice(at + length)}
          </code>
          <div>{error.message}</div>
        </div>
      )}
    </form>
  );
}

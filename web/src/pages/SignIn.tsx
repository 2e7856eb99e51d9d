// Token sign-in: the server has authentication on and this browser has no valid token.
import { type FormEvent, useState } from 'react';
import { gql, setToken } from '../api';
import { SignInCheckDocument } from '../generated/graphql';
import { ErrorBox } from '../components/ui';

export function SignIn() {
  const [value, setValue] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const token = value.trim();
    try {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        // The candidate token, not the stored one: sent here rather than through gql().
        body: JSON.stringify({ query: SignInCheckDocument.toString() }),
      });
      const body = (await response.json()) as { errors?: { message: string }[] };
      if (body.errors?.length) throw new Error(body.errors[0]!.message);
      setToken(token);
      void gql(SignInCheckDocument, {}).catch(() => {});
      location.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <div className="signin">
      <form className="card" onSubmit={submit}>
        <h1>Sign in</h1>
        <p className="muted">
          This server requires an API token. Create one with <code>npm run token:create</code> or the <code>createApiToken</code> mutation.
        </p>
        <input name="token" type="password" placeholder="rl_…" value={value} onChange={(e) => setValue(e.target.value)} />
        <button type="submit" disabled={!value.trim()}>
          Sign in
        </button>
        <ErrorBox error={error} />
      </form>
    </div>
  );
}

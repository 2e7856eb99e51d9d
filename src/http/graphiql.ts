// GraphiQL at /graphql with a content security policy: its code is inlined (it works offline),
// so the page's policy allows exactly those inline scripts, by hash. The page is rendered once
// (9 MB of JavaScript, loaded on first use), and its policy replaces the edge's "run nothing"
// on that one response.
import type { Plugin } from 'graphql-yoga';
import { inlinePagePolicy } from './edge/headers.js';

type RenderOptions = Parameters<typeof import('@graphql-yoga/render-graphiql').renderGraphiQL>[0];

export function createGraphiQL() {
  let rendered: { key: string; html: string; policy: string } | null = null;

  async function render(options: RenderOptions): Promise<string> {
    const key = JSON.stringify(options);
    if (rendered?.key !== key) {
      const html = (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options);
      rendered = { key, html, policy: inlinePagePolicy(html) };
    }
    return rendered.html;
  }

  /** Sets the page's policy on the GraphiQL response (the only HTML yoga answers with). */
  const plugin: Plugin = {
    onResponse({ response }) {
      if (rendered && response.headers.get('content-type')?.startsWith('text/html')) response.headers.set('content-security-policy', rendered.policy);
    },
  };

  return { render, plugin };
}

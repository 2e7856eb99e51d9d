// One execution per event for identical subscriptions. graphql runs a subscription's
// selection once per event per subscriber; with thousands of dashboards watching one run,
// that dominated the fan-out cost. For the fields listed here (whose results depend on the
// event, the query and its variables only, not on who asks), subscribers with the same
// document and variables share the result of executing the same event.
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult, execute, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

type Results = Map<string, Promise<ExecutionResult> | ExecutionResult>;

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

export function useSharedSubscriptionExecution(sharedFields: ReadonlySet<string>): Plugin {
  // Keyed by the event object, so results are collected with the event once delivered.
  const byEvent = new WeakMap<object, WeakMap<DocumentNode, Results>>();

  /** `key` names the subscription's operation and variables, which never change while it runs. */
  function sharedExecute(args: ExecutionArgs, key: string, event: unknown): Promise<ExecutionResult> | ExecutionResult {
    if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
    let byDocument = byEvent.get(event);
    if (!byDocument) byEvent.set(event, (byDocument = new WeakMap()));
    let results = byDocument.get(args.document);
    if (!results) byDocument.set(args.document, (results = new Map()));
    let result = results.get(key);
    if (!result) {
      result = execute({ ...args, rootValue: event });
      results.set(key, result);
    }
    return result;
  }

  return {
    onSubscribe({ args, setSubscribeFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      const fields = operation?.selectionSet.selections ?? [];
      const shareable = fields.length === 1 && fields[0]!.kind === 'Field' && sharedFields.has(fields[0]!.name.value);
      if (!shareable) return;
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs as ExecutionArgs);
        if (!isAsyncIterable(source)) return source as ExecutionResult;
        const iterator = source[Symbol.asyncIterator]();
        const key = `${subscribeArgs.operationName ?? ''}\u0000${JSON.stringify(subscribeArgs.variableValues ?? {})}`;
        const mapped: AsyncIterableIterator<ExecutionResult> = {
          async next() {
            const item = await iterator.next();
            if (item.done) return item as IteratorReturnResult<undefined>;
            return { value: await sharedExecute(subscribeArgs as ExecutionArgs, key, item.value), done: false };
          },
          async return() {
            await iterator.return?.();
            return { value: undefined, done: true };
          },
          async throw(error?: unknown) {
            await iterator.return?.();
            throw error;
          },
          [Symbol.asyncIterator]() {
            return this;
          },
        };
        return mapped;
      });
    },
  };
}

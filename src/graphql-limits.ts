// GraphQL hardening as one yoga plugin: request body size, batch size, tokens, depth, aliases
// and cost, each refused with LIMIT_EXCEEDED naming the limit; the shared input rules (src/input-
// rules.ts) on variables and string literals; CSRF prevention; introspection switchable off. Limits are checked before execution, so a hostile query costs only its parse.
import {
  type ExecutionResult,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  type GraphQLOutputType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  parse,
  type SelectionSetNode,
  type StringValueNode,
  type ValidationContext,
} from 'graphql';
import type { FetchAPI, Plugin } from 'graphql-yoga';
import type { RequestLimits } from './config.js';
import { listArgumentSize, literalListErrors, variableListError } from './graphql-list-limits.js';
import { type InputProblem, jsonProblem, MAX_JSON_DEPTH, textProblem } from './input-rules.js';

type LimitName = keyof RequestLimits;

export function limitError(limit: LimitName, max: number, message: string, status?: number): GraphQLError {
  return new GraphQLError(`${message} (limit "${limit}" is ${max})`, {
    extensions: { code: 'LIMIT_EXCEEDED', limit, max, ...(status ? { http: { status } } : {}) },
  });
}

/** Clients must prove they are not a plain HTML form or <img>: a JSON body or this header. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';
const SIMPLE_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'];

function csrfSafe(request: Request): boolean {
  if (request.headers.has(CSRF_HEADER)) return true;
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type !== '' && !SIMPLE_CONTENT_TYPES.includes(type);
}

interface Stats {
  depth: number;
  aliases: number;
  cost: number;
}

// Connections without `first` return their default page; this is the largest such default.
const DEFAULT_PAGE = 50;

/** Depth, alias count and estimated cost of each operation, fragments expanded. */
function measure(context: ValidationContext, limits: RequestLimits): void {
  const doc = context.getDocument();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const memo = new Map<string, Stats>();
  const visiting = new Set<string>();
  const schema = context.getSchema();

  const multiplier = (field: FieldNode, parentType: string | null, returnType: GraphQLOutputType | null | undefined): number => {
    // nodes(ids: [...]) returns one object per id: it costs as many.
    const listed = listArgumentSize(parentType, field);
    if (listed !== null) return listed;
    const first = field.arguments?.find((a) => a.name.value === 'first');
    if (first) {
      if (first.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
      return DEFAULT_PAGE; // a variable: validated against the page limit when it runs
    }
    const named = returnType ? getNamedType(returnType) : null;
    return named && named.name.endsWith('Connection') ? DEFAULT_PAGE : 1;
  };

  // Types are looked up by name from the schema so cost can scale by list sizes; unknown
  // fields cost 1 (validation reports them).
  const fieldType = (typeName: string | null, fieldName: string) => {
    if (!typeName) return null;
    const type = schema.getType(typeName);
    if (!type || !('getFields' in type)) return null;
    return (type.getFields() as Record<string, { type: GraphQLOutputType }>)[fieldName]?.type ?? null;
  };

  const walk = (set: SelectionSetNode, typeName: string | null): Stats => {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    for (const sel of set.selections) {
      let child: Stats;
      if (sel.kind === Kind.FIELD) {
        const type = fieldType(typeName, sel.name.value);
        for (const error of literalListErrors(typeName, sel)) context.reportError(error);
        const inner = sel.selectionSet ? walk(sel.selectionSet, type ? getNamedType(type).name : null) : { depth: 0, aliases: 0, cost: 0 };
        child = { depth: inner.depth + 1, aliases: inner.aliases + (sel.alias ? 1 : 0), cost: 1 + multiplier(sel, typeName, type) * inner.cost };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        child = walk(sel.selectionSet, sel.typeCondition?.name.value ?? typeName);
      } else {
        const name = sel.name.value;
        const cached = memo.get(name);
        if (cached) child = cached;
        else {
          const def = fragments.get(name);
          if (!def || visiting.has(name))
            child = { depth: 0, aliases: 0, cost: 0 }; // cycles are reported by NoFragmentCycles
          else {
            visiting.add(name);
            child = walk(def.selectionSet, def.typeCondition.name.value);
            visiting.delete(name);
            memo.set(name, child);
          }
        }
      }
      depth = Math.max(depth, child.depth);
      aliases += child.aliases;
      cost += child.cost;
      if (!Number.isFinite(cost)) cost = Number.MAX_SAFE_INTEGER;
    }
    return { depth, aliases, cost };
  };

  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = def.operation === 'query' ? schema.getQueryType() : def.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    const stats = walk(def.selectionSet, root?.name ?? null);
    const name = def.name ? `operation ${def.name.value}` : 'the operation';
    if (stats.depth > limits.depth) context.reportError(limitError('depth', limits.depth, `${name} nests ${stats.depth} levels deep`));
    if (stats.aliases > limits.aliases) context.reportError(limitError('aliases', limits.aliases, `${name} uses ${stats.aliases} aliases`));
    if (stats.cost > limits.cost) context.reportError(limitError('cost', limits.cost, `${name} could return about ${stats.cost} fields`));
  }
}

type ExecuteHook = {
  args: { document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null };
  setResultAndStopExecution: (result: ExecutionResult) => void;
};

/** Checks what only the variables tell: list lengths, and text PostgreSQL cannot hold (NUL, lone surrogates). */
function checkVariables(hook: ExecuteHook) {
  const listError = variableListError(hook.args.document, hook.args.operationName, hook.args.variableValues);
  if (listError) return hook.setResultAndStopExecution({ errors: [listError] });
  // Input types nest a few levels around a JSON value, whose scalar refuses deeper values itself.
  const problem = jsonProblem(hook.args.variableValues ?? {}, '', { textOnlyBeyond: MAX_JSON_DEPTH + 8 });
  if (problem) hook.setResultAndStopExecution({ errors: [inputRuleError(problem)] });
}

function inputRuleError(problem: InputProblem): GraphQLError {
  const field = problem.field || 'variables';
  return new GraphQLError(`${field}: ${problem.message}`, { extensions: { code: 'BAD_USER_INPUT', field, rule: problem.rule } });
}

/**
 * Brackets ({, [, () may nest this deep in a document: far above the selection depth limit and
 * any sensible literal, far below what the recursive parser can take.
 */
const MAX_DOCUMENT_NESTING = 128;

/** The deepest bracket nesting in a GraphQL document, skipping strings and comments; stops counting past `stopAt`. */
export function nestingOf(source: string, stopAt: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i += 1) {
    const ch = source[i];
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i += 1;
    } else if (ch === '"') {
      if (source.startsWith('"""', i)) {
        const end = source.indexOf('"""', i + 3);
        // Inside a block string only \""" is an escape, and it does not end the string.
        let close = end;
        while (close > 0 && source[close - 1] === '\\') close = source.indexOf('"""', close + 3);
        if (close < 0) return deepest; // unterminated: the parser reports it
        i = close + 2;
      } else {
        i += 1;
        while (i < source.length && source[i] !== '"' && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      }
    } else if (ch === '{' || ch === '[' || ch === '(') {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAt) return deepest;
    } else if (ch === '}' || ch === ']' || ch === ')') {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
}

function limitBody(request: Request, limit: number, fetchAPI: FetchAPI): Request {
  let bytes = 0;
  // A native body stream needs the native TransformStream (graphql-yoga issue 4583).
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body!.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > limit) controller.error(limitError('bodyBytes', limit, `the request body has more than ${limit} bytes`, 413));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body, duplex: 'half' } as RequestInit);
}

export function useRequestLimits(options: { limits: RequestLimits; introspection: boolean }): Plugin {
  const { limits } = options;
  // Rules are created once: yoga caches validation per document under the rules' names, so a
  // rule must be the same (named) function on every request.
  const limitsRule = (context: ValidationContext): ASTVisitor => {
    measure(context, limits);
    return {};
  };
  const textLiteralRule = (context: ValidationContext): ASTVisitor => ({
    StringValue(node: StringValueNode) {
      const problem = textProblem('a string literal in the document', node.value);
      if (problem) context.reportError(inputRuleError(problem));
    },
  });
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (!csrfSafe(request)) {
        throw new GraphQLError(
          `this request could be a cross-site request forgery: send a JSON body (content-type: application/json) or the ${CSRF_HEADER} header`,
          { extensions: { code: 'BAD_REQUEST', http: { status: 403 } } },
        );
      }
      const length = request.headers.get('content-length');
      if (length !== null) {
        // One non-negative integer only: comma-joined values are a request-smuggling attempt.
        if (!/^\d+$/.test(length)) throw new GraphQLError('Content-Length header is invalid', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        if (Number(length) > limits.bodyBytes) throw limitError('bodyBytes', limits.bodyBytes, `the request body has ${length} bytes`, 413);
      } else if (request.body && requestParser) {
        // No declared length (chunked): count the bytes as they arrive. With a Content-Length
        // the HTTP parser already stops at that many bytes, so the common case skips this stream.
        const parse = requestParser;
        setRequestParser((req) => parse(limitBody(req, limits.bodyBytes, fetchAPI)));
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult) && requestParserResult.length > limits.batch) {
            throw limitError('batch', limits.batch, `the request batches ${requestParserResult.length} operations`, 413);
          }
        },
      };
    },
    onExecute: checkVariables,
    onSubscribe: checkVariables,
    onParse({ setParseFn }) {
      setParseFn((source, parseOptions) => {
        const nesting = nestingOf(typeof source === 'string' ? source : source.body, MAX_DOCUMENT_NESTING);
        if (nesting > MAX_DOCUMENT_NESTING) {
          // graphql-js parses recursively: bound the nesting before it runs out of stack.
          throw limitError('depth', limits.depth, `the document nests brackets more than ${MAX_DOCUMENT_NESTING} levels deep`);
        }
        try {
          return parse(source, { ...parseOptions, maxTokens: limits.tokens });
        } catch (error) {
          if (error instanceof Error && /more tha[nt] \d+ tokens/.test(error.message)) {
            throw limitError('tokens', limits.tokens, 'the document has too many tokens');
          }
          throw error;
        }
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(limitsRule);
      addValidationRule(textLiteralRule);
      if (!options.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

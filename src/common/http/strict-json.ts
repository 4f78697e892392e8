import { InvalidJsonError } from '../errors/app-errors';

/** Deepest nesting of objects and arrays accepted (`{}` is depth 1). No DTO here needs more than a handful. */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `String.prototype.isWellFormed` (Node ≥ 20) is not in the ES2023 lib typings yet. */
type WellFormedString = string & { isWellFormed(): boolean };

interface Frame {
  value: object;
  depth: number;
  parent?: Frame;
  key?: string | number;
}

/**
 * Decodes and parses a request body we are going to accept, or throws `InvalidJsonError`:
 * - the bytes must be UTF-8 and JSON whose top level is an object or an array (as body-parser's strict mode);
 * - no string, value or key, may hold a NUL character (Postgres text cannot store it) or an unpaired
 *   UTF-16 surrogate (`"\ud800"`: not Unicode, so not storable as UTF-8 either);
 * - nesting stops at MAX_JSON_DEPTH (class-transformer and class-validator recurse: 10,000 levels overflow their stack).
 * One pass over the parsed value, without recursion; a bad string is named by its path (`$.result.items[2]`).
 * An empty body parses to `undefined` (no body), as with Express' parser.
 */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidJsonError('encoding', 'Request body is not valid UTF-8');
  }
  const first = /\S/.exec(text)?.[0];
  if (first !== undefined && first !== '{' && first !== '[')
    throw new InvalidJsonError('not_object', 'Request body must be a JSON object or array');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the body: it stays out of the answer.
    throw new InvalidJsonError('syntax', 'Request body is not valid JSON');
  }
  checkTree(value as object);
  return value;
}

function checkTree(root: object): void {
  const stack: Frame[] = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if (frame.depth > MAX_JSON_DEPTH) throw new InvalidJsonError('too_deep', `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    const visit = (child: unknown, key: string | number) => {
      if (typeof child === 'string') checkString(child, frame, key);
      else if (child !== null && typeof child === 'object') stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    };
    if (Array.isArray(frame.value)) {
      frame.value.forEach(visit);
    } else {
      for (const key of Object.keys(frame.value)) {
        checkString(key, frame, key, true);
        visit((frame.value as Record<string, unknown>)[key], key);
      }
    }
  }
}

/** Two native scans of the string; the path is only built for the error. */
function checkString(s: string, parent: Frame, key: string | number, isKey = false): void {
  const problem = s.includes('\u0000') ? 'nul_character' : (s as WellFormedString).isWellFormed() ? undefined : 'lone_surrogate';
  if (!problem) return;
  const path = pathOf(parent, key);
  const what = problem === 'nul_character' ? 'a NUL character (\\u0000)' : 'an unpaired UTF-16 surrogate (such as \\ud800)';
  throw new InvalidJsonError(problem, `Request body contains ${what} in ${isKey ? 'the key' : 'the string'} at ${path}`, path);
}

/** `$`, `$.a.b`, `$.items[2]`, `$["odd key"]`; keys are JSON-escaped, so a NUL or a surrogate in a key is shown as `\u0000`. */
function pathOf(frame: Frame | undefined, last?: string | number): string {
  const keys: Array<string | number> = last === undefined ? [] : [last];
  for (let f = frame; f?.key !== undefined; f = f.parent) keys.unshift(f.key);
  return keys.reduce<string>(
    (path, key) => path + (typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`),
    '$',
  );
}

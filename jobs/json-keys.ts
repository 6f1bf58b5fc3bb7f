/**
 * Key checks JSON.parse does not make: a key given twice in one object (JSON.parse keeps the last
 * value silently, so `"seed": 1, ..., "seed": 2` would run seed 2 while the file reads seed 1) and
 * the key `__proto__` (which Object.assign and spreads treat as the prototype, not as data).
 *
 * A scan of the source text, iterative (no recursion, so any nesting JSON.parse accepts is fine);
 * run it on text JSON.parse has already accepted. Keys are compared decoded, so "\u0073eed" and
 * "seed" are the same key.
 */

/** An object or array being scanned: its path for messages, and its keys so far. */
interface Frame {
  object: boolean;
  path: string;
  keys: Set<string>;
  /** The current key (objects) or element index (arrays). */
  key: string;
  index: number;
  expectKey: boolean;
}

const childPath = (f: Frame | undefined): string =>
  f === undefined ? '' : f.object ? `${f.path}.${f.key}` : `${f.path}[${f.index}]`;

/**
 * The first duplicate or `__proto__` key of a JSON text, as a message prefixed with `where`
 * (`job.json.sweep.sMaxKbit is given twice; ...`), or null when there is none.
 */
export function findKeyProblem(text: string, where: string): string | null {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{' || c === '[') {
      stack.push({ object: c === '{', path: childPath(top), keys: new Set(), key: '', index: 0, expectKey: c === '{' });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      if (top?.object) top.expectKey = true;
      else if (top) top.index++;
      i++;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.object && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const path = `${where}${top.path}.${key}`;
        if (key === '__proto__') return `${path}: the key "__proto__" is not allowed`;
        if (top.keys.has(key)) return `${path} is given twice in one object; JSON would keep only the last value, so give it once`;
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end + 1;
    } else {
      i++; // whitespace, ':', numbers, true, false, null
    }
  }
  return null;
}

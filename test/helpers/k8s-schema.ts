/**
 * Kubernetes manifests checked offline, as the API server would check them, by two means that
 * read the same API definitions (kubernetes-models, generated from Kubernetes 1.33's OpenAPI):
 *
 *  - schemaErrors: the generated JSON-schema validators (types, enums, formats, required fields);
 *  - unknownFieldErrors: the models' TypeScript types, compiled against the manifests as object
 *    literals, so that a field the API does not have is an error. The OpenAPI schemas leave
 *    additional properties open, but the API server rejects unknown fields (kubectl's default
 *    field validation is Strict since 1.27), so a misspelt field must fail here too.
 *
 * A manifest's apiVersion and kind pick its model: "batch/v1" Job is kubernetes-models/batch/v1's
 * Job and IJob, "v1" PersistentVolumeClaim is kubernetes-models/v1's.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './job-runs.js';

/** One YAML document of a manifest file. */
export interface Manifest {
  /** The file's name, for messages. */
  file: string;
  doc: Record<string, unknown>;
}

/** Every document of a YAML file (after replacing the placeholders in `substitute`). */
export function readManifests(path: string, substitute: Record<string, string> = {}): Manifest[] {
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of Object.entries(substitute)) text = text.split(from).join(to);
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${basename(path)}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { file: basename(path), doc: d.toJS() as Record<string, unknown> };
  });
}

/** The kubernetes-models module and model name of a manifest: "batch/v1" Job -> batch/v1, Job. */
function modelOf(m: Manifest): { module: string; kind: string } {
  const { apiVersion, kind } = m.doc;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z]+$/.test(kind)) {
    throw new Error(`${m.file}: apiVersion and kind must be strings, got ${String(apiVersion)} and ${String(kind)}`);
  }
  return { module: `kubernetes-models/${apiVersion}`, kind };
}

/** The schema's complaints about one manifest ("data/spec/completions must be integer"), none when valid. */
export async function schemaErrors(m: Manifest): Promise<string[]> {
  const { module, kind } = modelOf(m);
  const models = await import(module) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = models[kind];
  if (!Model) return [`${m.file}: ${module} has no ${kind}`];
  try {
    new Model(m.doc).validate();
    return [];
  } catch (e) {
    return [`${m.file}: ${(e as Error).message}`];
  }
}

/**
 * Fields the API does not have, and values of the wrong type, in `manifests`: the TypeScript
 * compiler's errors when each manifest is assigned to its model's interface (IJob, ...).
 */
export function unknownFieldErrors(manifests: Manifest[]): string[] {
  const path = join(ROOT, 'test', 'k8s-manifest-types.ts'); // never written: served from memory
  const imports = manifests.map((m, i) => {
    const { module, kind } = modelOf(m);
    return `import type { I${kind} as T${i} } from '${module}';`;
  });
  const lines = [...imports, ...manifests.map((m, i) => `export const m${i}: T${i} = ${JSON.stringify(m.doc)};`)];
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es5.d.ts'], // ES5's types suffice; the default adds the DOM (3x slower)
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === path ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest));
  host.fileExists = (name) => name === path || fileExists(name);
  host.readFile = (name) => (name === path ? source : readFile(name));
  const program = ts.createProgram([path], options, host);
  const sf = program.getSourceFile(path);
  if (!sf) throw new Error('the manifests\' type check has no source file');
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => {
    const line = d.start === undefined ? -1 : sf.getLineAndCharacterOfPosition(d.start).line;
    const where = line >= imports.length ? manifests[line - imports.length].file : 'imports';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

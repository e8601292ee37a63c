// Loads AgentPolicy objects from YAML or JSON files (one or many documents, a
// file or a folder). All or nothing: any invalid object fails the whole load, so
// a half-read policy set is never enforced.

import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AgentPolicy } from '../../api/types.js';
import { agError } from '../../common/errors.js';
import { validatePolicy } from './validate.js';

export interface LoadedPolicies {
  readonly policies: AgentPolicy[];
  /** `namespace/name` -> the file it came from. */
  readonly sources: Map<string, string>;
  /** Documents of other kinds that were skipped. */
  readonly skipped: string[];
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function policyKey(p: AgentPolicy): string {
  return `${p.metadata.namespace ?? ''}/${p.metadata.name}`;
}

async function listFiles(path: string): Promise<string[]> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw agError(
      'AG_ERR_POLICY_LOAD',
      path,
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message,
    );
  }
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.name.startsWith('.')) continue; // ..data symlinks of mounted ConfigMaps, editor files
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (EXTENSIONS.has(extname(entry.name))) out.push(full);
  }
  return out;
}

/** Parses one file's text; exported for tests and `policy check` on stdin. */
export function parsePolicyText(file: string, text: string, into: LoadedPolicies, problems: string[]): void {
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    const where = `${file}${list.length > 1 ? ` (document ${index + 1})` : ''}`;
    if (doc.errors.length > 0) {
      problems.push(`${where}: YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
      return;
    }
    const obj: unknown = doc.toJS({ maxAliasCount: 100 });
    if (obj === null || obj === undefined) return;
    const kind = typeof obj === 'object' ? (obj as Record<string, unknown>)['kind'] : undefined;
    if (kind !== 'AgentPolicy') {
      into.skipped.push(`${where}: kind ${String(kind)}`);
      return;
    }
    const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const label = `AgentPolicy ${meta?.namespace ? `${String(meta.namespace)}/` : ''}${String(meta?.name ?? '(unnamed)')}`;
    const issues = validatePolicy(obj);
    if (issues.length > 0) {
      for (const i of issues) problems.push(`${where}: ${label}: ${i.path || '(object)'}: ${i.message}`);
      return;
    }
    const policy = obj as AgentPolicy;
    const key = policyKey(policy);
    const other = into.sources.get(key);
    if (other !== undefined) {
      problems.push(`${where}: ${label}: also defined in ${other}`);
      return;
    }
    into.sources.set(key, file);
    into.policies.push(policy);
  });
}

export async function loadPolicyFiles(paths: readonly string[]): Promise<LoadedPolicies> {
  const loaded: LoadedPolicies = { policies: [], sources: new Map(), skipped: [] };
  const problems: string[] = [];
  for (const path of paths) {
    for (const file of await listFiles(path)) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw agError('AG_ERR_POLICY_LOAD', file, (err as Error).message);
      }
      parsePolicyText(file, text, loaded, problems);
    }
  }
  if (problems.length > 0) {
    throw agError(
      'AG_ERR_POLICY_INVALID',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in policies; none were loaded:\n  ${problems.join('\n  ')}`,
    );
  }
  return loaded;
}

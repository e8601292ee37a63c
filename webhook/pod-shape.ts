// The shape checks the injector relies on, made once at the boundary. The API
// server validated the pod before calling us, so a pod that fails these is not
// from an API server: the request is answered 400, and the injector's code can
// trust the types it reads.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown): boolean {
  return v === undefined || (isObj(v) && Object.values(v).every((x) => typeof x === 'string'));
}

function optional(v: unknown, check: (x: unknown) => boolean): boolean {
  return v === undefined || check(v);
}

const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const bool = (v: unknown): boolean => typeof v === 'boolean';
const strings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

function named(v: unknown): boolean {
  return isObj(v) && typeof v['name'] === 'string';
}

function securityContext(v: unknown): boolean {
  if (!isObj(v)) return false;
  const caps = v['capabilities'];
  return (
    optional(v['runAsUser'], num) &&
    optional(v['runAsGroup'], num) &&
    optional(v['runAsNonRoot'], bool) &&
    optional(v['privileged'], bool) &&
    optional(caps, (c) => isObj(c) && optional(c['add'], strings) && optional(c['drop'], strings))
  );
}

function container(v: unknown): boolean {
  return (
    named(v) &&
    optional((v as Obj)['volumeMounts'], (m) => Array.isArray(m) && m.every(named)) &&
    optional((v as Obj)['securityContext'], securityContext)
  );
}

const containers = (v: unknown): boolean => Array.isArray(v) && v.every(container);

/** Why the object cannot be a pod the injector handles, or undefined. */
export function podShapeProblem(pod: unknown): string | undefined {
  if (!isObj(pod)) return 'request.object is not an object';
  const meta = pod['metadata'];
  if (!optional(meta, isObj)) return 'metadata is not an object';
  if (isObj(meta)) {
    if (!stringMap(meta['labels'])) return 'metadata.labels must map strings to strings';
    if (!stringMap(meta['annotations'])) return 'metadata.annotations must map strings to strings';
    for (const k of ['name', 'generateName', 'namespace']) {
      if (!optional(meta[k], (x) => typeof x === 'string')) return `metadata.${k} is not a string`;
    }
    if (!optional(meta['ownerReferences'], (x) => Array.isArray(x) && x.every(isObj))) {
      return 'metadata.ownerReferences is not a list of objects';
    }
  }
  const spec = pod['spec'];
  if (!isObj(spec)) return 'spec is not an object';
  if (!containers(spec['containers'])) return 'spec.containers must be a list of named containers';
  if (!optional(spec['initContainers'], containers))
    return 'spec.initContainers must be a list of named containers';
  if (!optional(spec['ephemeralContainers'], containers)) {
    return 'spec.ephemeralContainers must be a list of named containers';
  }
  if (!optional(spec['volumes'], (v) => Array.isArray(v) && v.every(named))) {
    return 'spec.volumes must be a list of named volumes';
  }
  if (!optional(spec['securityContext'], securityContext)) return 'spec.securityContext is malformed';
  for (const k of ['hostNetwork', 'hostPID', 'shareProcessNamespace']) {
    if (!optional(spec[k], bool)) return `spec.${k} is not a boolean`;
  }
  return undefined;
}

// Policies from files, compiled once per change and swapped whole: a session
// asks for the current PodPolicy at each command, so a reload applies from the
// next command without touching open sessions. A change that fails to load
// keeps the policies in force (and says so), never an empty set.

import { type FSWatcher, watch } from 'node:fs';
import { type PodInfo, type PodPolicy, PolicyEngine } from '../policy/engine.js';
import { loadPolicyFiles } from '../policy/loader.js';

export interface PolicyLog {
  info(msg: string): void;
  error(msg: string): void;
}

export class FilePolicySource {
  private policy: PodPolicy | null = null;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private loading: Promise<void> | null = null;
  /** Bumped at every successful load; tests and metrics read it. */
  generation = 0;
  lastError: string | undefined = undefined;

  constructor(
    private readonly paths: readonly string[],
    private readonly pod: PodInfo,
    private readonly log: PolicyLog,
    private readonly onChange: (p: PodPolicy) => void = () => {},
  ) {}

  /** Loads once (throws if the first load fails), then watches. */
  async start(): Promise<void> {
    await this.load(true);
    for (const p of this.paths) {
      try {
        this.watchers.push(watch(p, { recursive: true, persistent: false }, () => this.schedule()));
      } catch (e) {
        this.log.error(`cannot watch ${p}: ${(e as Error).message}; policies there will not reload`);
      }
    }
  }

  current(): PodPolicy | null {
    return this.policy;
  }

  get ready(): boolean {
    return this.policy !== null;
  }

  /** Reloads now (also what the watch does, debounced). */
  reload(): Promise<void> {
    this.loading ??= this.load(false).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    // Editors and kubelet write in several steps: wait for the folder to settle.
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reload();
    }, 150);
  }

  private async load(first: boolean): Promise<void> {
    try {
      const loaded = await loadPolicyFiles(this.paths);
      const engine = PolicyEngine.compile(loaded.policies);
      this.policy = engine.forPod(this.pod);
      this.generation++;
      this.lastError = undefined;
      this.log.info(`policies loaded: ${loaded.policies.length} (generation ${this.generation})`);
      for (const c of this.policy.conflicts) this.log.error(`target conflict: ${c}`);
      this.onChange(this.policy);
    } catch (e) {
      this.lastError = (e as Error).message;
      if (first) throw e;
      this.log.error(`policy reload failed, keeping generation ${this.generation}: ${this.lastError}`);
    }
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }
}

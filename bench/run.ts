// `make bench`: runs every bench/*.bench.js (compiled) and writes BENCHMARKS.md.
// Benchmarks report ratios against the direct path or peers measured in the same
// run where there is one; absolute figures depend on this shared 2-core machine.
// Each bench file runs in a process of its own (same Node flags): one bench's
// heap, type feedback and optimized code must not shape the next one's figures
// (the masking corpus measured 60 MB/s after the others and 100 alone).

import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

interface Outcome {
  readonly title: string | undefined;
  readonly results: BenchResult[];
}

/** In the child: run one bench file and hand its results to the parent on stdout. */
if (process.argv[2] === '--one') {
  const mod = (await import(join(here, process.argv[3]!))) as {
    run(): Promise<BenchResult[]>;
    title?: string;
  };
  const outcome: Outcome = { title: mod.title, results: await mod.run() };
  process.stdout.write(JSON.stringify(outcome));
  process.exit(0); // a bench that left a handle open must not hold the run
}

function runOne(file: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--one', file],
      { maxBuffer: 64 << 20 },
      (err, stdout) => {
        if (err) reject(err);
        else resolve(JSON.parse(stdout) as Outcome);
      },
    );
    child.stderr?.pipe(process.stderr);
  });
}

const sections: string[] = [];
let failed = 0;
for (const file of files) {
  const name = basename(file, '.bench.js');
  process.stderr.write(`bench: ${name}...\n`);
  try {
    const mod = await runOne(file);
    const results = mod.results;
    const rows = results.map(
      (r) => `| ${r.name} | ${r.value.toLocaleString('en-US')} | ${r.unit} | ${r.note ?? ''} |`,
    );
    sections.push(
      `## ${mod.title ?? name}\n\n| measure | value | unit | note |\n|---|---:|---|---|\n${rows.join('\n')}\n`,
    );
    for (const r of results)
      process.stderr.write(`  ${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}\n`);
  } catch (err) {
    failed++;
    sections.push(`## ${name}\n\nfailed: ${(err as Error).message}\n`);
    process.stderr.write(`  failed: ${(err as Error).stack}\n`);
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = `# Benchmarks

Written by \`make bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}.
Figures from one run on a shared machine; compare ratios within a run, not absolutes across runs.
`;
if (only.length === 0) writeFileSync('BENCHMARKS.md', `${header}\n${sections.join('\n')}`);
else process.stdout.write(`${header}\n${sections.join('\n')}`);
process.exitCode = failed > 0 ? 1 : 0;

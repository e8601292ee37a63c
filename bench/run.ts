// `make bench`: runs every bench/*.bench.js (compiled) and writes BENCHMARKS.md.
// Benchmarks report ratios against the direct path or peers measured in the same
// run where there is one; absolute figures depend on this shared 2-core machine.

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

const sections: string[] = [];
let failed = 0;
for (const file of files) {
  const name = basename(file, '.bench.js');
  process.stderr.write(`bench: ${name}...\n`);
  try {
    const mod = (await import(join(here, file))) as { run(): Promise<BenchResult[]>; title?: string };
    const results = await mod.run();
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

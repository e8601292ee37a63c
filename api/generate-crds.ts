// `make crds`: writes crds/*.yaml from api/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrds } from './crds.js';

const dir = process.argv[2] ?? 'crds';
for (const [file, text] of Object.entries(renderCrds())) {
  writeFileSync(join(dir, file), text);
  process.stdout.write(`wrote ${join(dir, file)}\n`);
}

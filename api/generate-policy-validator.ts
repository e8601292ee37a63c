// `make build` runs this from the TypeScript source, before tsc, so the build
// compiles the validator it writes (sidecar/policy/validator-source.ts says why).
import { writeFileSync } from 'node:fs';
import { GENERATED_FILE, validatorSource } from '../sidecar/policy/validator-source.js';

const file = process.argv[2] ?? GENERATED_FILE;
writeFileSync(file, validatorSource());

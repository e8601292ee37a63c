// Lets tests run `cli/main.ts` straight from the source tree on
// Node 24 (which strips types itself): source imports say `./x.js` as nodenext
// requires, and this maps each to the `./x.ts` beside it when no `.js` exists.
// Usage: node --import ./test/run-from-source.mjs cli/main.ts COMMAND ...
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (err) {
      if ((specifier.startsWith('.') || specifier.startsWith('/')) && specifier.endsWith('.js')) {
        return next(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
});

// node:http loaded through require. An ES import of node:http builds its
// module namespace, which reads every export, including the lazy WebSocket,
// MessageEvent and CloseEvent getters, and so loads and compiles Node's bundled
// undici: about 14 MB resident in each thread that imports it, for code the
// sidecar never runs. require() leaves those getters unread.

import { createRequire } from 'node:module';

export const http: typeof import('node:http') = createRequire(import.meta.url)('node:http');

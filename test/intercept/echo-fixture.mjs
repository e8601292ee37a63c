// A server on the "database host" (or in the pod): answers every connection
// with the name it was given and the local address and port the connection
// reached, then closes. Run: node echo-fixture.mjs NAME PORT [PORT...]
import { createServer } from 'node:net';

const [name, ...ports] = process.argv.slice(2);
let ready = 0;
for (const port of ports) {
  // `::` dual-stack: IPv4 and IPv6 on one socket; the reply unmaps IPv4 addresses.
  const server = createServer((s) => {
    const local = s.localAddress?.startsWith('::ffff:') ? s.localAddress.slice(7) : s.localAddress;
    s.end(`${name} ${local} ${s.localPort}\n`);
  });
  server.listen({ host: '::', port: Number(port), ipv6Only: false }, () => {
    if (++ready === ports.length) process.stdout.write(`ready ${ready}\n`);
  });
}

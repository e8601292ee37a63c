// The "agent": dials HOST PORT, prints the first line the other side sends,
// or `error CODE`. Exits by itself after 5 s at most.
import { connect } from 'node:net';

const [host, port] = process.argv.slice(2);
const timer = setTimeout(() => {
  process.stdout.write('error ETIMEDOUT\n');
  process.exit(0);
}, 5000);
const socket = connect({ host, port: Number(port) });
let text = '';
socket.setEncoding('utf8');
socket.on('data', (d) => {
  text += d;
});
socket.on('end', () => {
  clearTimeout(timer);
  process.stdout.write(`${text.split('\n')[0]}\n`);
});
socket.on('error', (e) => {
  clearTimeout(timer);
  process.stdout.write(`error ${e.code ?? e.message}\n`);
});

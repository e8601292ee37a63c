import { Kind, Pending, PendingQueue } from './pending.js';

const entry = (n: number) => new Pending(Kind.Sync, null, null, null, 'S', String(n));

test('keeps first-in first-out order across wrap-around and growth', () => {
  const q = new PendingQueue();
  let pushed = 0;
  let shifted = 0;
  // Interleave so the head walks around the array, then pile up past its capacity.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 5; i++) q.push(entry(pushed++));
    for (let i = 0; i < 4; i++) expect(q.shift()?.closeName).toBe(String(shifted++));
  }
  for (let i = 0; i < 100; i++) q.push(entry(pushed++));
  expect(q.length).toBe(pushed - shifted);
  expect(q.peek()?.closeName).toBe(String(shifted));
  while (q.length > 0) expect(q.shift()?.closeName).toBe(String(shifted++));
  expect(shifted).toBe(pushed);
  expect(q.shift()).toBeUndefined();
  expect(q.peek()).toBeUndefined();
});

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mulHi32, philox4x32, PhiloxStream } from '../../../engine/random/philox.js';

const hex = (words: Uint32Array): string[] => Array.from(words, (w) => w.toString(16).padStart(8, '0'));

/** Random123 kat_vectors, philox4x32 rounds = 10: counter, key, expected output. */
const KAT: { counter: number[]; key: number[]; expected: string[] }[] = [
  { counter: [0, 0, 0, 0], key: [0, 0], expected: ['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8'] },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: ['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd'],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: ['d16cfe09', '94fdcceb', '5001e420', '24126ea1'],
  },
];

for (const [i, v] of KAT.entries()) {
  test(`philox4x32 reproduces Random123 known-answer vector ${i + 1}`, () => {
    const out = philox4x32(Uint32Array.from(v.counter), Uint32Array.from(v.key), new Uint32Array(4));
    assert.equal(hex(out), v.expected);
  });
}

test('philox4x32 returns the output array it was given', () => {
  const out = new Uint32Array(4);
  assert.is(philox4x32(new Uint32Array(4), new Uint32Array(2), out), out);
});

test('philox4x32 may write over its counter', () => {
  const counter = Uint32Array.from(KAT[2].counter);
  philox4x32(counter, Uint32Array.from(KAT[2].key), counter);
  assert.equal(hex(counter), KAT[2].expected);
});

test('mulHi32 matches the BigInt product on edge and random operands', () => {
  const operands = [0, 1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xd2511f53, 0xcd9e8d57];
  const stream = new PhiloxStream([7, 0], [0, 0, 0]);
  for (let i = 0; i < 200; i++) operands.push(stream.nextUint32());
  for (const a of operands) {
    for (const b of operands) {
      const expected = Number((BigInt(a) * BigInt(b)) >> 32n);
      if (mulHi32(a, b) !== expected) assert.unreachable(`mulHi32(${a}, ${b}) = ${mulHi32(a, b)}, expected ${expected}`);
    }
  }
});

test('PhiloxStream hands out block i = philox(i, c1, c2, c3) word by word', () => {
  const key = Uint32Array.of(0xa4093822, 0x299f31d0);
  const stream = new PhiloxStream([key[0], key[1]], [5, 6, 7]);
  const drawn = Array.from({ length: 12 }, () => stream.nextUint32());
  const expected: number[] = [];
  for (let i = 0; i < 3; i++) expected.push(...philox4x32(Uint32Array.of(i, 5, 6, 7), key, new Uint32Array(4)));
  assert.equal(drawn, expected);
});

test.run();

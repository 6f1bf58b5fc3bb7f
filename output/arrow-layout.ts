/**
 * Bounds checks of an Arrow IPC file before apache-arrow parses it, so that a damaged or hostile
 * file is refused instead of hanging the reader.
 *
 * Why apache-arrow can hang (apache-arrow 21, ipc/reader.mjs): `tableFromIPC` reads a file's
 * record batches with `RecordBatchStreamReaderImpl.next()`, a `while` loop over
 * `_readNextMessageAndValidate()`; for a file, that method seeks to the footer's block number
 * `_recordBatchIndex` and reads the message there, and the index only advances on a RecordBatch
 * message. A message of any other type at a block (a flipped continuation marker makes the length
 * -2 and the "message" decodes as type NONE; a flipped header type makes it a Schema or
 * DictionaryBatch) is read again and again: 100% CPU, forever. Flatbuffer vector lengths are read
 * from the bytes unchecked too (a footer claiming 2^31 dictionaries is looped over in `open()`).
 *
 * So before any byte reaches apache-arrow this module checks, against the file's length: the
 * magic at both ends, the footer's length and place, every flatbuffer offset and vector it reads
 * (footer blocks, the schema's fields and their children, the batch's nodes and buffers), that each
 * block lies between the leading magic and the footer, and that the message at each block is a
 * RecordBatch whose body fits its block. The chunk reader then loads batches one by one by index
 * (`readRecordBatch(i)`, which throws on a wrong message type) rather than through that loop.
 */

const MAGIC = 'ARROW1';
/** Arrow's MessageHeader.RecordBatch. */
const RECORD_BATCH = 3;
/** Block struct of the footer (offset int64, metaDataLength int32, pad, bodyLength int64). */
const BLOCK_BYTES = 24;
/** Deepest nesting of fields the schema may have (a chunk's lists are one level deep). */
const MAX_FIELD_DEPTH = 8;

/** A bounds-checked view of one flatbuffer inside `bytes` (its root at `start`, `end` its limit). */
class Flat {
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly start: number, readonly end: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(at: number, size: number, what: string): void {
    if (!(Number.isInteger(at) && at >= this.start && at + size <= this.end)) throw new Error(`${what} at byte ${at} lies outside its ${this.end - this.start}-byte flatbuffer`);
  }

  u8(at: number, what: string): number { this.need(at, 1, what); return this.view.getUint8(at); }
  u16(at: number, what: string): number { this.need(at, 2, what); return this.view.getUint16(at, true); }
  i32(at: number, what: string): number { this.need(at, 4, what); return this.view.getInt32(at, true); }
  u32(at: number, what: string): number { this.need(at, 4, what); return this.view.getUint32(at, true); }
  /** An int64 as a number; refused beyond 2^53 (no chunk comes near). */
  i64(at: number, what: string): number {
    this.need(at, 8, what);
    const v = this.view.getBigInt64(at, true);
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} is ${v}`);
    return Number(v);
  }

  /** The root table's position. */
  root(): number { return this.start + this.u32(this.start, 'root offset'); }

  /** Position of field `i` of the table at `table`, or -1 when absent. */
  field(table: number, i: number, what: string): number {
    const vtable = table - this.i32(table, `${what} vtable offset`);
    const size = this.u16(vtable, `${what} vtable size`);
    if (size < 4 || size % 2) throw new Error(`${what} vtable size ${size}`);
    if (4 + 2 * i >= size) return -1;
    const off = this.u16(vtable + 4 + 2 * i, `${what} field ${i}`);
    return off ? table + off : -1;
  }

  /** The table a field refers to, or -1 when absent. */
  table(table: number, i: number, what: string): number {
    const at = this.field(table, i, what);
    return at < 0 ? -1 : at + this.u32(at, `${what} offset`);
  }

  /** A vector field: where its elements start and how many, every element inside the buffer. */
  vector(table: number, i: number, elementBytes: number, what: string): { at: number; length: number } {
    const field = this.field(table, i, what);
    if (field < 0) return { at: 0, length: 0 };
    const pos = field + this.u32(field, `${what} offset`);
    const length = this.u32(pos, `${what} length`);
    this.need(pos + 4, length * elementBytes, `${what} (${length} elements)`);
    return { at: pos + 4, length };
  }
}

export interface ArrowBlock {
  offset: number;
  metaDataLength: number;
  bodyLength: number;
}

/**
 * Checks the layout of an Arrow IPC file (see the module doc); returns its record batch blocks,
 * or throws an Error saying what is out of bounds. `maxBatches` caps the blocks accepted.
 */
export function checkArrowFileLayout(bytes: Uint8Array, maxBatches: number): ArrowBlock[] {
  const size = bytes.byteLength;
  const text = (at: number): string => String.fromCharCode(...bytes.subarray(at, at + MAGIC.length));
  if (size < 18 || text(0) !== MAGIC || text(size - MAGIC.length) !== MAGIC) throw new Error('no Arrow file magic at both ends');
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const footerLength = view.getInt32(size - 10, true);
  const footerStart = size - 10 - footerLength;
  if (!(footerLength > 0 && footerStart >= 8)) throw new Error(`footer length ${footerLength} does not fit a ${size}-byte file`);
  const footer = new Flat(bytes, footerStart, size - 10);
  const root = footer.root();
  const dictionaries = footer.vector(root, 2, BLOCK_BYTES, 'footer dictionaries');
  if (dictionaries.length) throw new Error(`footer lists ${dictionaries.length} dictionary batches (a chunk has none)`);
  const batches = footer.vector(root, 3, BLOCK_BYTES, 'footer record batches');
  if (batches.length < 1 || batches.length > maxBatches) throw new Error(`footer lists ${batches.length} record batches`);
  const schema = footer.table(root, 1, 'footer schema');
  if (schema < 0) throw new Error('footer has no schema');
  checkFields(footer, schema, 1, 0);
  footer.vector(schema, 2, 4, 'schema metadata');

  const blocks: ArrowBlock[] = [];
  for (let b = 0; b < batches.length; b++) {
    const at = batches.at + b * BLOCK_BYTES;
    const block = { offset: footer.i64(at, 'block offset'), metaDataLength: footer.i32(at + 8, 'block metadata length'), bodyLength: footer.i64(at + 16, 'block body length') };
    const bodyStart = block.offset + block.metaDataLength;
    if (block.offset < 8 || block.offset % 8 || block.metaDataLength < 8 || bodyStart + block.bodyLength > footerStart) {
      throw new Error(`record batch ${b} (offset ${block.offset}, metadata ${block.metaDataLength}, body ${block.bodyLength} bytes) lies outside bytes 8 .. ${footerStart}`);
    }
    checkBatchMessage(bytes, block, b);
    blocks.push(block);
  }
  return blocks;
}

/** The schema's fields (table field 1 of Schema and field 5 of Field), nested no deeper than MAX_FIELD_DEPTH. */
function checkFields(flat: Flat, table: number, vectorField: number, depth: number): void {
  if (depth > MAX_FIELD_DEPTH) throw new Error(`schema nests fields deeper than ${MAX_FIELD_DEPTH}`);
  const fields = flat.vector(table, vectorField, 4, 'schema fields');
  for (let i = 0; i < fields.length; i++) {
    const at = fields.at + 4 * i;
    const field = at + flat.u32(at, 'field offset');
    flat.vector(field, 0, 1, 'field name');
    flat.vector(field, 6, 4, 'field metadata');
    checkFields(flat, field, 5, depth + 1);
  }
}

/** The message at a block: continuation marker, its length, a RecordBatch whose buffers fit its body. */
function checkBatchMessage(bytes: Uint8Array, block: ArrowBlock, b: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const marker = view.getInt32(block.offset, true);
  const length = view.getInt32(block.offset + 4, true);
  if (marker !== -1 || length !== block.metaDataLength - 8) throw new Error(`record batch ${b}: message prefix ${marker}, ${length} does not match its block`);
  const message = new Flat(bytes, block.offset + 8, block.offset + block.metaDataLength);
  const root = message.root();
  const typeAt = message.field(root, 1, 'message header type');
  const type = typeAt < 0 ? 0 : message.u8(typeAt, 'message header type');
  if (type !== RECORD_BATCH) throw new Error(`record batch ${b}: the message there has header type ${type}, not RecordBatch`);
  const bodyAt = message.field(root, 3, 'message body length');
  const bodyLength = bodyAt < 0 ? 0 : message.i64(bodyAt, 'message body length');
  if (bodyLength !== block.bodyLength) throw new Error(`record batch ${b}: body of ${bodyLength} bytes, its block says ${block.bodyLength}`);
  const header = message.table(root, 2, 'record batch');
  if (header < 0) throw new Error(`record batch ${b}: no header`);
  if (message.field(header, 3, 'record batch compression') >= 0) throw new Error(`record batch ${b}: compressed (a chunk never is)`);
  // A column of L values takes at least L / 8 bytes (a bitmap): longer ones are not in this body.
  const maxLength = 8 * bodyLength + 8;
  const rowsAt = message.field(header, 0, 'record batch length');
  const rows = rowsAt < 0 ? 0 : message.i64(rowsAt, 'record batch length');
  if (rows > maxLength) throw new Error(`record batch ${b}: ${rows} rows in a ${bodyLength}-byte body`);
  const nodes = message.vector(header, 1, 16, 'record batch nodes');
  for (let i = 0; i < nodes.length; i++) {
    const n = message.i64(nodes.at + 16 * i, 'node length');
    const nulls = message.i64(nodes.at + 16 * i + 8, 'node null count');
    if (n > maxLength || nulls > n) throw new Error(`record batch ${b}: node ${i} claims ${n} values (${nulls} null) in a ${bodyLength}-byte body`);
  }
  const buffers = message.vector(header, 2, 16, 'record batch buffers');
  for (let i = 0; i < buffers.length; i++) {
    const offset = message.i64(buffers.at + 16 * i, 'buffer offset');
    const size = message.i64(buffers.at + 16 * i + 8, 'buffer length');
    if (offset + size > bodyLength) throw new Error(`record batch ${b}: buffer ${i} (bytes ${offset} .. ${offset + size}) outside its ${bodyLength}-byte body`);
  }
}

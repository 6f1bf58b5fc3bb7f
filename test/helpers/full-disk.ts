/**
 * Fault injection for the write path (output/atomic-file.ts takes its system calls as
 * `WriteCalls`): a device that is full after a given number of bytes.
 */
import { NODE_WRITE_CALLS, type WriteCalls } from '../../output/atomic-file.js';

/**
 * A device that holds `capacity` more bytes, for fault injection: writes are cut short at the
 * edge (as a nearly full disk does) and the next one fails with ENOSPC.
 */
export function fullDiskCalls(capacity: number): WriteCalls {
  let left = capacity;
  const take = (buffers: Uint8Array[]): Uint8Array[] => {
    if (left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    const kept: Uint8Array[] = [];
    for (const b of buffers) {
      if (left <= 0) break;
      kept.push(b.subarray(0, Math.min(b.byteLength, left)));
      left -= kept[kept.length - 1].byteLength;
    }
    return kept;
  };
  return {
    writev: async (fd, buffers) => NODE_WRITE_CALLS.writev(fd, take(buffers)),
    writevSync: (fd, buffers) => NODE_WRITE_CALLS.writevSync(fd, take(buffers)),
    tempPath: NODE_WRITE_CALLS.tempPath,
  };
}

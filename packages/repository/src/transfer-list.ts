/**
 * What may be transferred (moved, not copied) to or from a worker thread: a view that is the whole of its
 * ArrayBuffer. A view into a larger buffer is copied by postMessage instead, and a view of shared memory is
 * shared; neither may go in a transfer list.
 */
export function ownsWholeBuffer(data: Uint8Array): boolean {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
}

/** The transfer list for `views`: the buffers of those that own them whole. */
export function transferListOf(...views: Uint8Array[]): ArrayBuffer[] {
  return views.filter(ownsWholeBuffer).map((view) => view.buffer as ArrayBuffer);
}

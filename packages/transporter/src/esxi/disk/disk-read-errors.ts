/**
 * How reading a disk on the host fails in ways the caller acts on: the disk gave fewer bytes than the range
 * asked for (it shrank or changed under the snapshot, or is not the disk the inventory described). Never
 * retried: a second read of a changed disk proves nothing.
 */
import { EsxbackupError } from "@esxbackup/domain";

export class DiskReadShortError extends EsxbackupError {
  readonly disk: string;
  constructor(disk: string, range: { offsetBytes: number; lengthBytes: number }, receivedBytes: number, hostMessage: string) {
    super(
      "disk_read_short",
      `${disk}: reading bytes ${range.offsetBytes}–${range.offsetBytes + range.lengthBytes} gave only ${receivedBytes} of ${range.lengthBytes} bytes; ` +
        `the disk changed or shrank while it was read${hostMessage === "" ? "" : ` (host: ${hostMessage})`}`,
    );
    this.disk = disk;
  }
}

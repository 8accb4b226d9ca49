package persist

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBackRange writes the file's dirty pages from off to its end back to
// the disk and waits for them, without the metadata a full fsync would also
// commit (the sink's Close still fsyncs the whole file).
func writeBackRange(f *os.File, off int64) error {
	return unix.SyncFileRange(int(f.Fd()), off, 0,
		unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
}

package partition

import (
	"os"
	"syscall"
)

// statIdentity returns a local file's inode and change time (Unix
// nanoseconds), which tell apart two versions of a file of the same size and
// modification time: fileblob writes a new file and renames it over the old.
func statIdentity(fi os.FileInfo) (uint64, int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return st.Ino, st.Ctim.Nano()
}

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// CreateExclusive writes data to path unless path exists, and reports
// whether it did. The directory is created if needed. The file is synced
// before it gets its name, so a reader never sees it partly written, even
// after the operating system crashed.
func CreateExclusive(path string, data []byte) (bool, error) {
	return create(path, data, true)
}

// CreateExclusiveNoSync is CreateExclusive without the sync: every process
// sees the file whole from the moment it has its name, but after a crash
// of the operating system it may be empty or torn. It is for files that a
// crash makes worthless, such as locks whose holders it ended, read by
// code that takes a torn file for a stale one. The sync was most of the
// cost of a partition lock (two per partition integrated, 0.45 ms each).
func CreateExclusiveNoSync(path string, data []byte) (bool, error) {
	return create(path, data, false)
}

func create(path string, data []byte, sync bool) (bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

//go:build unix

package writer

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// readNoFollow reads the file at rel below dir into buf (reusing its
// storage) without following a symlink in its last component; nil when
// the file does not exist. It goes straight to the system calls: a no-op
// regeneration reads thousands of files, and os.ReadFile's poller
// registration and extra stat are most of its cost there.
func readNoFollow(dir, rel string, buf []byte) ([]byte, error) {
	full := filepath.Join(dir, filepath.FromSlash(rel))
	var fd int
	var err error
	for {
		fd, err = syscall.Open(full, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case errors.Is(err, syscall.ENOENT):
		return nil, nil
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("refusing to read %s: %s is a symlink", rel, full)
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	defer syscall.Close(fd)
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", rel, err)
		case n == 0:
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

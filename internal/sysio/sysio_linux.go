//go:build linux

package sysio

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ReadFile reads the file at path into buf (reusing its storage; nil
// allocates one of the file's size), without following a symlink as its
// last element when noFollow is set (ErrSymlink). It returns the content
// (as long as the file was when opened), nil and no error when the file
// does not exist, and the file's modification time.
func ReadFile(path string, buf []byte, noFollow bool) ([]byte, time.Time, error) {
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC
	if noFollow {
		flags |= syscall.O_NOFOLLOW
	}
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			break
		}
	}
	switch {
	case err == syscall.ENOENT:
		return nil, time.Time{}, nil
	case err == syscall.ELOOP && noFollow:
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	case err != nil:
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, time.Time{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return nil, time.Time{}, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	mtime := time.Unix(int64(st.Mtim.Sec), int64(st.Mtim.Nsec))
	size := int(st.Size)
	if cap(buf) < size || buf == nil {
		buf = make([]byte, 0, max(size, 512))
	}
	buf = buf[:0]
	for size > 0 && len(buf) < size { // the size the file had when opened
		n, err := syscall.Read(fd, buf[len(buf):size])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, time.Time{}, &fs.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return buf, mtime, nil // shrunk meanwhile
		}
		buf = buf[:len(buf)+n]
	}
	if size > 0 {
		return buf, mtime, nil
	}
	for { // a size of 0 may not be the truth (some special files)
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, time.Time{}, &fs.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return buf, mtime, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// WriteNew creates the file at path, which must not exist, with content and
// exactly mode, whatever the umask.
func WriteNew(path string, content []byte, mode fs.FileMode) error {
	perm := uint32(mode.Perm())
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, perm)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for len(content) > 0 {
		n, werr := syscall.Write(fd, content)
		if werr == syscall.EINTR {
			continue
		}
		if werr != nil {
			err = werr
			break
		}
		content = content[n:]
	}
	if u, known := umask(); err == nil && (!known || perm&^u != perm) {
		err = syscall.Fchmod(fd, perm)
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

// umask returns the process's file mode creation mask, as Linux reports it
// in /proc/self/status (setting it to read it would race with other
// goroutines creating files).
var umask = sync.OnceValues(func() (uint32, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("Umask:")); ok {
			u, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			return uint32(u), err == nil
		}
	}
	return 0, false
})

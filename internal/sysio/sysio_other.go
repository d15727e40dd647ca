//go:build !linux

package sysio

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// ReadFile reads the file at path (see sysio_linux.go); buf is not reused.
func ReadFile(path string, buf []byte, noFollow bool) ([]byte, time.Time, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if noFollow && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, time.Time{}, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, nil
	}
	if b == nil && err == nil {
		b = []byte{}
	}
	return b, fi.ModTime(), err
}

// WriteNew creates the file at path, which must not exist, with content and
// exactly mode.
func WriteNew(path string, content []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

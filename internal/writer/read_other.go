//go:build !unix

package writer

// readNoFollow reads the file at rel below dir, refusing a symlink in its
// last component; nil when the file does not exist (see read_unix.go).
func readNoFollow(dir, rel string, buf []byte) ([]byte, error) {
	if err := newGuard(dir).check(rel); err != nil {
		return nil, err
	}
	return readFile(dir, rel)
}

// Package sysio reads and writes whole files straight through the system
// calls where it can. A generation reads and writes thousands of small
// files; the os package's per-file work (registering each with the
// network poller, an extra stat) was most of the cost of that, and is of
// no use for regular files read or written in one go.
package sysio

import "errors"

// ErrSymlink: the last element of a path given to ReadNoFollow is a
// symlink.
var ErrSymlink = errors.New("is a symlink")

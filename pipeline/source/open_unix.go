//go:build unix

package source

import "syscall"

// noFollowFlag makes open fail on a symlink in the last path element (ELOOP) instead of
// following it: a file found in a folder walk could have been replaced by a symlink since.
const noFollowFlag = syscall.O_NOFOLLOW

// nonBlockFlag makes open return at once on a named pipe that has no writer (it would
// otherwise block until one appears); on a regular file it changes nothing.
const nonBlockFlag = syscall.O_NONBLOCK

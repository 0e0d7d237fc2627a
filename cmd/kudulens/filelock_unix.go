//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockFile takes an exclusive lock that other kudulens processes taking it for the same path
// wait for: flock on a hidden file beside path (".NAME.lock", left in place: removing it
// would let two processes hold locks on two different files). Shard runs of one fleet that
// share a --state file finish one after the other through it.
func lockFile(path string) (unlock func(), err error) {
	lock := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
	f, err := os.OpenFile(lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

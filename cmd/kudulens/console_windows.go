//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// consoleEscapes turns on escape-sequence handling in a Windows console (Windows 10 and later),
// so that colours and the progress line show as such instead of as ←[31m. A console where it
// cannot be turned on is not used as a terminal: the output stays plain text.
func consoleEscapes(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}

//go:build !windows

package main

import "os"

// consoleEscapes reports whether the terminal f shows escape sequences: every Unix terminal
// does (see console_windows.go for the Windows console).
func consoleEscapes(*os.File) bool { return true }

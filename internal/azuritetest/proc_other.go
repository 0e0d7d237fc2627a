//go:build unix && !linux

package azuritetest

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}

package azuritetest

import "syscall"

// setPdeathsig kills Azurite if the test process dies without stopping it (a test timeout).
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// A stand-in for Windows' bcryptprimitives.dll, for wine before 9.x only (scripts/release-check.sh
// installs it into the test's own wine prefix; it is never shipped). Go's runtime (1.26 here) takes its
// random numbers from ProcessPrng, which Windows 10 and later export from this DLL and wine 8
// does not; BCryptGenRandom with the system RNG gives the same service.
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		// BCryptGenRandom takes a ULONG length: large requests go in pieces.
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}

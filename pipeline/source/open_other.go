//go:build !unix

package source

// Without O_NOFOLLOW and O_NONBLOCK (Windows) the mode check after open is what keeps
// non-regular files out.
const (
	noFollowFlag = 0
	nonBlockFlag = 0
)

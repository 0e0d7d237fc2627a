package store

import "unsafe"

// bytesOf reinterprets a slice of a one-byte named type (parse.Level, parse.JobSource) as
// []byte, for a zero-copy Arrow buffer.
func bytesOf[T ~uint8](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

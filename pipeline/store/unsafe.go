package store

import (
	"unsafe"

	"github.com/kudulens/kudulens/parse"
)

// bytesOf reinterprets a slice of a one-byte named type (parse.Level, parse.JobSource) as
// []byte, for a zero-copy Arrow buffer.
func bytesOf[T ~uint8](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// signalWords views parse signals as their uint32 words, for a zero-copy Arrow buffer.
func signalWords(s []parse.Signal) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.SliceData(s)), len(s))
}

package source

import (
	"crypto/sha256"
	"encoding"
	"errors"
	"hash"
)

// Tail makes an Entry the continuation of a text log loaded before: the appended part of an
// append blob (pipeline/blob, state.go). The tail has no header line to classify it by and
// does not start at line 1 nor at byte 0 of what is hashed.
type Tail struct {
	Class     Classification // the stored classification of the log
	FirstLine int64          // line number of the tail's first line
	Hash      []byte         // SHA-256 state of the bytes before the tail (see ResumeHash)
}

// ContentHash is the hash of the entry's content that the ingest computes: new, or for a
// tail, continuing the hash of the blob's bytes before it.
func (e *Entry) ContentHash() hash.Hash {
	if e.Tail != nil {
		if h, err := ResumeHash(e.Tail.Hash); err == nil {
			return h
		}
	}
	return sha256.New()
}

// Classify classifies the entry from its head, or returns a tail's stored classification (a
// tail has no header line to look at).
func (e *Entry) Classify(head []byte) Classification {
	if e.Tail != nil {
		return e.Tail.Class
	}
	return Classify(e.Name, head)
}

// FirstLineNo is the line number of the entry's first line: 1, or where a tail goes on.
func (e *Entry) FirstLineNo() int64 {
	if e.Tail != nil {
		return e.Tail.FirstLine
	}
	return 1
}

// ResumeHash returns a SHA-256 continuing from a marshalled state.
func ResumeHash(state []byte) (hash.Hash, error) {
	h := sha256.New()
	if len(state) == 0 {
		return h, nil
	}
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		return nil, errors.New("saved hash state unreadable")
	}
	return h, nil
}

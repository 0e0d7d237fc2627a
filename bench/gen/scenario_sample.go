package gen

import "errors"

// SampleFiles returns the files of the sample customer bundle (not written yet).
func SampleFiles() (map[string][]byte, error) { return nil, errors.New("gen: sample scenario not implemented yet") }

// WriteFiles writes files under dir.
func WriteFiles(dir string, files map[string][]byte) error { return errors.New("gen: not implemented yet") }

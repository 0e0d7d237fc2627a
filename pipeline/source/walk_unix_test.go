//go:build unix

package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kudulens/kudulens/internal/testinput"
)

// A named pipe in a folder is never opened (a pipe without a writer would block the open, and
// one with a writer is no bundle file); one named on the command line is read as a stream, and
// a cancelled walk does not wait for its writer.
func TestWalkNamedPipes(t *testing.T) {
	dir := t.TempDir()
	testinput.WriteFile(t, dir, "job_log.txt", []byte("x\n"))
	fifo := filepath.Join(dir, "pipe.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	done := make(chan *recorder)
	go func() { done <- walk(t, []string{dir}, WalkOptions{}) }()
	select {
	case r := <-done:
		check(t, "problems", r.problems, []problemRec{{fifo, "named pipe skipped"}})
		check(t, "files", len(r.files), 1)
	case <-time.After(20 * time.Second):
		t.Fatal("the walk of a folder holding a named pipe did not end")
	}

	// On the command line, nobody writing: the walk waits, until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- Walk(ctx, []string{fifo}, WalkOptions{}, &recorder{}) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled walk of a pipe without a writer: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled walk kept waiting for the writer of a named pipe")
	}

	// A writer that connects and then stalls: cancelled too.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { errc <- Walk(ctx, []string{fifo}, WalkOptions{}, &recorder{}) }()
	wf, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	wf.Write([]byte("[11/22/2026 10:15:32 > 494acb: INFO] a line, then nothing"))
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled walk of a stalled pipe: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled walk kept reading a stalled named pipe")
	}
	wf.Close()

	// Given with the data written and closed, it is read.
	fifo = filepath.Join(t.TempDir(), "fresh.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			w.Write([]byte("streamed\n"))
			w.Close()
		}
	}()
	r := walk(t, []string{fifo}, WalkOptions{})
	check(t, "files from a pipe", len(r.files), 1)
	if len(r.files) == 1 {
		check(t, "data", r.files[0].Data, "streamed\n")
	}
}

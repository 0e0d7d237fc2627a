package blob

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// stallServer is an endpoint on 127.0.0.1 that answers ranged GETs of a blob of body with
// the headers and then, per request, the bytes send(request number, range start) says, and
// then nothing: the connection stays open and silent until the test ends.
type stallServer struct {
	url    string
	mu     sync.Mutex
	ranges []string
}

func newStallServer(t *testing.T, body string, send func(req int, from int64) int) *stallServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stallServer{url: "http://" + ln.Addr().String() + "/devstoreaccount1/logs"}
	done := make(chan struct{})
	var conns sync.WaitGroup
	t.Cleanup(func() { close(done); ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				go func() { <-done; c.Close() }()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					var from, to int64
					fmt.Sscanf(strings.TrimPrefix(req.Header.Get("x-ms-range")+req.Header.Get("Range"), "bytes="), "%d-%d", &from, &to)
					s.mu.Lock()
					s.ranges = append(s.ranges, fmt.Sprintf("%d-%d", from, to))
					n := len(s.ranges)
					s.mu.Unlock()
					if to == 0 || to >= int64(len(body)) {
						to = int64(len(body)) - 1
					}
					part := body[from : to+1]
					fmt.Fprintf(c, "HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\nContent-Range: bytes %d-%d/%d\r\nContent-Type: application/octet-stream\r\nx-ms-blob-type: BlockBlob\r\nx-ms-version: 2023-11-03\r\n\r\n",
						len(part), from, to, len(body))
					k := min(send(n, from), len(part))
					c.Write([]byte(part[:k]))
					if k < len(part) {
						<-done // stall
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *stallServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.ranges...)
}

func stallReader(t *testing.T, url string, size int64) *blobReader {
	t.Helper()
	o := (&Options{Retries: 2, RetryDelay: 10 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}).withDefaults()
	src, err := parseBlobSource(url, o)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := src.chooseCred(o)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := src.containerClient(o, cred)
	if err != nil {
		t.Fatal(err)
	}
	return &blobReader{ctx: context.Background(), bc: cc.NewBlobClient("site/job_log.txt"), src: src, cred: cred, o: o, end: size}
}

// Issue 18, item 10: an endpoint that sends the headers and a few bytes and then nothing hung
// the download for ever. It is ended after IdleTimeout and resumed where it stopped.
func TestStalledDownloadIsResumed(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	srv := newStallServer(t, body, func(req int, from int64) int {
		if req == 1 {
			return 7 // a few bytes, then silence
		}
		return len(body)
	})
	r := stallReader(t, srv.url, int64(len(body)))
	got, err := io.ReadAll(r)
	if err != nil || string(got) != body {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if rs := srv.requests(); len(rs) != 2 || rs[1] != "7-999" {
		t.Errorf("requests %v, want the second to resume at byte 7", rs)
	}
}

func TestStalledDownloadGivesUpNamingTheOffset(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	srv := newStallServer(t, body, func(req int, from int64) int {
		if req == 1 {
			return 7
		}
		return 0 // headers, then silence
	})
	r := stallReader(t, srv.url, int64(len(body)))
	start := time.Now()
	got, err := io.ReadAll(r)
	if err == nil || len(got) != 7 {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	if want := "the download stalled at byte offset 7 (nothing received for 300ms, the download stalled) 3 times in a row"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
	if rs := srv.requests(); len(rs) != 3 || rs[1] != "7-999" || rs[2] != "7-999" {
		t.Errorf("requests %v: want the first and two resumes at byte 7 (Retries 2)", rs)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("gave up after %s", el)
	}
}

// An endpoint that accepts the connection and never answers is a stall too.
func TestSilentEndpointStalls(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }()
		}
	}()
	r := stallReader(t, "http://"+ln.Addr().String()+"/devstoreaccount1/logs", 100)
	_, err = io.ReadAll(r)
	if err == nil || !strings.Contains(err.Error(), "stalled at byte offset 0") {
		t.Errorf("silent endpoint: %v", err)
	}
}

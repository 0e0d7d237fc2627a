package azuritetest

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards to an Azurite and breaks a download on purpose: once the body of a GET whose
// URL path contains breakPath has relayed breakAfter bytes, it calls onBreak (which may stop
// Azurite), cuts the connection mid-body and stops listening, so that reconnecting fails
// until Up is called. It serves one break; Up rearms nothing.
type Proxy struct {
	// URL is the proxy's blob endpoint, path style: http://127.0.0.1:<port>/devstoreaccount1.
	URL  string
	addr string

	target     *url.URL
	breakPath  string
	breakAfter int64
	onBreak    func()
	broken     atomic.Bool

	mu  sync.Mutex
	srv *http.Server
}

// Proxy starts a proxy in front of s; it is closed at the end of the test.
func (s *Server) Proxy(t testing.TB, breakPath string, breakAfter int64, onBreak func()) *Proxy {
	t.Helper()
	target, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", s.Port))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{addr: l.Addr().String(), target: target, breakPath: breakPath, breakAfter: breakAfter, onBreak: onBreak}
	p.URL = "http://" + p.addr + "/" + Account
	p.serve(l)
	t.Cleanup(p.down)
	return p
}

func (p *Proxy) serve(l net.Listener) {
	rp := httputil.NewSingleHostReverseProxy(p.target)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodGet && strings.Contains(resp.Request.URL.Path, p.breakPath) && !p.broken.Load() {
			resp.Body = &breakingBody{ReadCloser: resp.Body, p: p, left: p.breakAfter}
		}
		return nil
	}
	quiet := log.New(io.Discard, "", 0)
	rp.ErrorLog = quiet
	srv := &http.Server{Handler: rp, ErrorLog: quiet}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(l)
}

// Up listens again on the same address.
func (p *Proxy) Up(t testing.TB) {
	t.Helper()
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.serve(l)
}

func (p *Proxy) down() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// breakingBody counts the relayed body and breaks it.
type breakingBody struct {
	io.ReadCloser
	p    *Proxy
	left int64
}

func (b *breakingBody) Read(buf []byte) (int, error) {
	if b.left <= 0 {
		if b.p.broken.CompareAndSwap(false, true) {
			if b.p.onBreak != nil {
				b.p.onBreak()
			}
			go b.p.down()
		}
		return 0, errors.New("azuritetest: download broken on purpose")
	}
	if int64(len(buf)) > b.left {
		buf = buf[:b.left]
	}
	n, err := b.ReadCloser.Read(buf)
	b.left -= int64(n)
	return n, err
}

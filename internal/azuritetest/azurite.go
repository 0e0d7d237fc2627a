// Package azuritetest runs Azurite, the Azure Storage emulator, for tests of blob sources.
//
// Start starts a private Azurite (blob service only) on a free loopback port with a temporary
// data folder, and stops it when the test ends. Azurite is the npm package pinned in Version,
// installed into <module root>/.cache/azurite by `make test` (make azurite); if it is missing
// and npm is available, Start installs it there (once, under a lock). Without node/npm the
// test is skipped with a message saying so.
//
// StartOAuth starts it over HTTPS with Entra ID tokens accepted (--oauth basic), and
// StartIdentityEndpoint a fake of App Service's managed-identity endpoint whose tokens that
// Azurite accepts: together they test Entra ID sign-in offline.
package azuritetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
)

// Version is the Azurite release the tests use (see the Makefile). Later releases need Node 21+.
const Version = "3.35.0"

// Account and Key are Azurite's well-known development account (public, documented by Microsoft).
const (
	Account = "devstoreaccount1"
	Key     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Server is a running Azurite.
type Server struct {
	Port int
	// URL is the blob service endpoint, path style: http://127.0.0.1:<port>/devstoreaccount1
	// (https:// for StartOAuth).
	URL string
	// TLS is set by StartOAuth: the certificate Azurite serves and how to trust it.
	TLS *TLS

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

// ConnectionString is the account's connection string with this server's endpoint.
func (s *Server) ConnectionString() string {
	proto := "http"
	if s.TLS != nil {
		proto = "https"
	}
	return "DefaultEndpointsProtocol=" + proto + ";AccountName=" + Account + ";AccountKey=" + Key + ";BlobEndpoint=" + s.URL + ";"
}

// Client is an SDK client with the account key.
func (s *Server) Client(t testing.TB) *azblob.Client {
	t.Helper()
	var opts *azblob.ClientOptions
	if s.TLS != nil {
		opts = &azblob.ClientOptions{ClientOptions: policy.ClientOptions{Transport: s.TLS.Client()}}
	}
	c, err := azblob.NewClientFromConnectionString(s.ConnectionString(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ContainerSAS returns a SAS query string (read and list) for a container, signed with the
// account key, valid for an hour.
func (s *Server) ContainerSAS(t testing.TB, containerName string) string {
	t.Helper()
	return s.ContainerSASWith(t, containerName, sas.ContainerPermissions{Read: true, List: true})
}

// ContainerSASWith is ContainerSAS with the given permissions (a lake written by export needs
// write and create as well).
func (s *Server) ContainerSASWith(t testing.TB, containerName string, perms sas.ContainerPermissions) string {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(Account, Key)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		StartTime:     time.Now().UTC().Add(-5 * time.Minute),
		ExpiryTime:    time.Now().UTC().Add(time.Hour),
		Permissions:   perms.String(),
		ContainerName: containerName,
	}.SignWithSharedKey(cred)
	if err != nil {
		t.Fatal(err)
	}
	return q.Encode()
}

// Start starts Azurite for the test and stops it at the test's end.
func Start(t testing.TB) *Server {
	t.Helper()
	return startWith(t, nil)
}

// StartOAuth starts Azurite over HTTPS with Entra ID (OAuth) tokens accepted (--oauth basic,
// which Azurite allows only over HTTPS), with a self-signed certificate for 127.0.0.1 made
// for the test (Server.TLS). Azurite checks a bearer token's audience, issuer prefix and
// lifetime (nbf, exp), not its signature; the account key and SAS keep working, for setting
// up the data.
func StartOAuth(t testing.TB) *Server {
	t.Helper()
	tl, err := newTLS(t.TempDir())
	if err != nil {
		t.Fatalf("azurite: making a certificate: %v", err)
	}
	return startWith(t, tl)
}

func startWith(t testing.TB, tl *TLS) *Server {
	t.Helper()
	if testing.Short() {
		// make test's race-detector run is -short: the Azurite tests run in its unit run.
		t.Skip("-short: no Azurite")
	}
	bin := binary(t)
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(bin, dir, tl)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("azurite: %v", lastErr)
	return nil
}

func start(bin, dir string, tl *TLS) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	scheme := "http"
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port), "--location", dir,
		"--skipApiVersionCheck", "--disableTelemetry", "--silent"}
	if tl != nil {
		scheme = "https"
		args = append(args, "--oauth", "basic", "--cert", tl.CertFile, "--key", tl.KeyFile)
	}
	s := &Server{Port: port, URL: fmt.Sprintf("%s://127.0.0.1:%d/%s", scheme, port, Account), TLS: tl, out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("exited at start: %s", s.out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("not listening after 30 s: %s", s.out.String())
}

// Stop stops Azurite (SIGTERM, then SIGKILL after 5 s) and waits for it. It may be called
// more than once.
func (s *Server) Stop() { s.stop(syscall.SIGTERM) }

// Kill kills Azurite at once, as a crash or a network failure would end the connections.
func (s *Server) Kill() { s.stop(syscall.SIGKILL) }

func (s *Server) stop(sig syscall.Signal) {
	s.once.Do(func() {
		signalGroup(s.cmd, sig)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			signalGroup(s.cmd, syscall.SIGKILL)
			<-s.done
		}
	})
	<-s.done
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binary finds azurite-blob: $KUDULENS_AZURITE, else .cache/azurite of the module, installing
// it there when npm is available.
func binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("KUDULENS_AZURITE"); b != "" {
		return b
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("Azurite tests skipped: node is not installed (with node and npm, make test installs Azurite " + Version + " into .cache/azurite)")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, ".cache", "azurite")
	bin := filepath.Join(dir, "node_modules", ".bin", "azurite-blob")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("Azurite tests skipped: npm is not installed, and Azurite is not in " + dir + " (make azurite installs it)")
	}
	if err := install(dir, bin); err != nil {
		t.Fatalf("installing Azurite %s into %s: %v", Version, dir, err)
	}
	return bin
}

// install runs npm install under a lock (test binaries of several packages run at once).
func install(dir, bin string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return err
	}
	if _, err := os.Stat(bin); err == nil {
		return nil // another package's tests installed it meanwhile
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "azurite@"+Version, "--no-audit", "--no-fund")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = p
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 1<<20 {
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

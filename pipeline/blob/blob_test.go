package blob

// Unit tests of blob sources that need no storage service: source parsing, the credential
// order, error messages, date pruning and the record boundaries of incremental reads.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kudulens/kudulens/pipeline/source"
)

func TestParseBlobSource(t *testing.T) {
	cs := "DefaultEndpointsProtocol=https;AccountName=contosologs;AccountKey=a2V5;EndpointSuffix=core.usgovcloudapi.net"
	for _, tc := range []struct {
		src                                      string
		o                                        Options
		service, account, container, prefix, sas string
		display                                  string
	}{
		{src: "https://contosologs.blob.core.windows.net/applogs", service: "https://contosologs.blob.core.windows.net",
			account: "contosologs", container: "applogs", display: "https://contosologs.blob.core.windows.net/applogs"},
		{src: "https://contosologs.blob.core.windows.net/applogs/contoso-analytics/2026/11/?sv=2025-01-05&sp=rl&sig=c2ln&restype=container&comp=list",
			service: "https://contosologs.blob.core.windows.net", account: "contosologs", container: "applogs", prefix: "contoso-analytics/2026/11/",
			sas: "sig=c2ln&sp=rl&sv=2025-01-05", display: "https://contosologs.blob.core.windows.net/applogs/contoso-analytics/2026/11/"},
		{src: "https://contosologs.privatelink.blob.core.windows.net/applogs/x", service: "https://contosologs.privatelink.blob.core.windows.net",
			account: "contosologs", container: "applogs", prefix: "x", display: "https://contosologs.privatelink.blob.core.windows.net/applogs/x"},
		{src: "https://contosologs.blob.core.chinacloudapi.cn/applogs", service: "https://contosologs.blob.core.chinacloudapi.cn",
			account: "contosologs", container: "applogs", display: "https://contosologs.blob.core.chinacloudapi.cn/applogs"},
		{src: "https://logs.contoso.com/applogs", service: "https://logs.contoso.com", container: "applogs", display: "https://logs.contoso.com/applogs"},
		{src: "http://127.0.0.1:10000/devstoreaccount1/applogs/site", service: "http://127.0.0.1:10000/devstoreaccount1",
			account: "devstoreaccount1", container: "applogs", prefix: "site", display: "http://127.0.0.1:10000/devstoreaccount1/applogs/site"},
		{src: "http://localhost:10000/devstoreaccount1/applogs", service: "http://localhost:10000/devstoreaccount1",
			account: "devstoreaccount1", container: "applogs", display: "http://localhost:10000/devstoreaccount1/applogs"},
		{src: "http://[::1]:10000/devstoreaccount1/applogs", service: "http://[::1]:10000/devstoreaccount1",
			account: "devstoreaccount1", container: "applogs", display: "http://[::1]:10000/devstoreaccount1/applogs"},
		{src: "az://applogs/site/2026", o: Options{Account: "contosologs"}, service: "https://contosologs.blob.core.windows.net",
			account: "contosologs", container: "applogs", prefix: "site/2026", display: "az://applogs/site/2026"},
		{src: "az://applogs", o: Options{ConnectionString: cs}, service: "https://contosologs.blob.core.usgovcloudapi.net",
			account: "contosologs", container: "applogs", display: "az://applogs"},
		{src: "az://applogs", o: Options{ConnectionString: "UseDevelopmentStorage=true"}, service: "http://127.0.0.1:10000/devstoreaccount1",
			account: "devstoreaccount1", container: "applogs", display: "az://applogs"},
	} {
		s, err := parseBlobSource(tc.src, &tc.o)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		got := fmt.Sprint(s.service, "|", s.account, "|", s.container, "|", s.prefix, "|", s.sas, "|", s.display)
		want := fmt.Sprint(tc.service, "|", tc.account, "|", tc.container, "|", tc.prefix, "|", tc.sas, "|", tc.display)
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.src, got, want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"https://contosologs.blob.core.windows.net/", "names no container"},
		{"https://contosologs.blob.core.windows.net", "names no container"},
		{"http://127.0.0.1:10000/", "names no storage account"},
		{"http://127.0.0.1:10000/devstoreaccount1", "names no container"},
		{"az://", "names no container"},
		{"az://applogs", "needs the storage account"},
		{"https://x y/c?sig=SECRET", "not a valid URL"},
		{"ftp://host/c?sig=SECRET", "not a blob URL"},
		{"htps:/contosologs.blob.core.windows.net/c?sv=1&sig=SECRET", "not a blob URL"},
		{"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=SECRET", "this source is a connection string"},
	} {
		_, err := parseBlobSource(tc.src, &Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}

// Secrets given by mistake as sources are refused without being shown.
func TestSecretSources(t *testing.T) {
	for _, src := range []string{
		"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=SECRETKEY==",
		"htps:/contosologs.blob.core.windows.net/c?sv=1&sig=SECRETSIG",
		"contosologs.blob.core.windows.net/c?sv=1&sig=SECRETSIG",
	} {
		if !IsSource(src) {
			t.Errorf("%s is taken for a path", src)
		}
		var got []string
		v := &recordingVisitor{problem: func(path string, err error) { got = append(got, path+": "+err.Error()) }}
		if err := source.Walk(context.Background(), []string{src}, source.WalkOptions{Remote: NewRemote(nil)}, v); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || strings.Contains(got[0], "SECRET") {
			t.Errorf("%s: %q", src, got)
		}
	}
	for _, p := range []string{"logs/job_log.txt", `C:\logs\bundle.zip`, "-"} {
		if IsSource(p) {
			t.Errorf("%s is taken for a blob source", p)
		}
	}
}

func TestChooseCredOrder(t *testing.T) {
	key := "c2VjcmV0LWtleS12YWx1ZQ=="
	conn := "DefaultEndpointsProtocol=https;AccountName=contosologs;AccountKey=" + key
	for _, tc := range []struct {
		src  string
		o    Options
		want string
	}{
		{"https://contosologs.blob.core.windows.net/c?sv=1&sig=abc", Options{ConnectionString: conn, Key: key}, "the SAS token in the URL"},
		{"https://contosologs.blob.core.windows.net/c", Options{ConnectionString: conn, ConnectionStringFrom: "AZURE_STORAGE_CONNECTION_STRING", Key: key},
			"the account key in the connection string from AZURE_STORAGE_CONNECTION_STRING (account contosologs)"},
		{"https://contosologs.blob.core.windows.net/c", Options{ConnectionString: "BlobEndpoint=https://contosologs.blob.core.windows.net;SharedAccessSignature=sv=1&sig=abc"},
			"the SharedAccessSignature in the connection string from --connection-string"},
		{"https://contosologs.blob.core.windows.net/c", Options{Key: key, KeyFrom: "AZURE_STORAGE_KEY"}, "the account key from AZURE_STORAGE_KEY (account contosologs)"},
		{"https://logs.contoso.com/c", Options{Key: key, Account: "contosologs"}, "the account key from AZURE_STORAGE_KEY (account contosologs)"},
		{"https://contosologs.blob.core.windows.net/c", Options{}, "no credential (anonymous access)"},
	} {
		s, err := parseBlobSource(tc.src, &tc.o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.chooseCred(&tc.o)
		if err != nil || c.desc != tc.want {
			t.Errorf("%s %+v: %q %v, want %q", tc.src, tc.o.KeyFrom, c.desc, err, tc.want)
		}
	}
	for _, tc := range []struct {
		src  string
		o    Options
		want string
	}{
		{"https://other.blob.core.windows.net/c", Options{ConnectionString: conn}, "is for account contosologs, but the URL names account other"},
		{"https://contosologs.blob.core.windows.net/c", Options{ConnectionString: "AccountName=contosologs;AccountKey=" + key[:5] + "!"}, "not a valid key"},
		{"https://contosologs.blob.core.windows.net/c", Options{ConnectionString: "AccountName=contosologs"}, "neither AccountKey nor SharedAccessSignature"},
		{"https://contosologs.blob.core.windows.net/c", Options{ConnectionString: "just-a-secret-value"}, "not a connection string"},
		{"https://logs.contoso.com/c", Options{Key: key}, "give --account"},
		{"https://contosologs.blob.core.windows.net/c", Options{Key: "not base64!"}, "is not a valid key"},
	} {
		s, _ := parseBlobSource(tc.src, &tc.o)
		_, err := s.chooseCred(&tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
			continue
		}
		for _, secret := range []string{key, key[:5], "just-a-secret-value", "not base64"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows a secret: %v", err)
			}
		}
	}
}

func TestSanitize(t *testing.T) {
	in := `GET https://a.blob.core.windows.net/c/x?sv=2025&sig=abc%2Bdef&se=2026 failed; conn AccountName=a;AccountKey=S3cr3t==;EndpointSuffix=x; az://c/p?sig=q`
	got := sanitize(in)
	for _, bad := range []string{"abc", "S3cr3t", "sig=q", "sv=2025"} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitize kept %q: %s", bad, got)
		}
	}
	if !strings.Contains(got, "https://a.blob.core.windows.net/c/x failed") || !strings.Contains(got, "az://c/p") {
		t.Errorf("sanitize: %s", got)
	}
	if StripQuery("https://a/c/x?sig=1#f") != "https://a/c/x" {
		t.Error("StripQuery")
	}
}

// dnsTransport fails every request with a DNS error, as a resolver outside the VNet does for
// a private endpoint name.
type dnsTransport struct{ notFound bool }

func (d dnsTransport) Do(r *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: r.URL.Hostname(), IsNotFound: d.notFound}}
}

func TestBlobNetworkErrors(t *testing.T) {
	for _, tc := range []struct {
		src      string
		notFound bool
		want     string
	}{
		{"https://contosologs.privatelink.blob.core.windows.net/applogs", true,
			"cannot resolve contosologs.privatelink.blob.core.windows.net: this host resolves only inside the VNet"},
		{"https://contosologs.blob.core.windows.net/applogs", true,
			"cannot resolve contosologs.blob.core.windows.net (no such host): check the account name; if the account is reachable only through a private endpoint, this host resolves only inside the VNet"},
		{"https://contosologs.blob.core.windows.net/applogs", false, "is a DNS server reachable?"},
	} {
		var got []string
		v := &recordingVisitor{problem: func(path string, err error) { got = append(got, path+": "+err.Error()) }}
		o := &Options{Transport: dnsTransport{tc.notFound}, Retries: -1, Key: "a2V5"}
		if err := source.Walk(context.Background(), []string{tc.src + "?sv=1&sig=SECRET"}, source.WalkOptions{Remote: NewRemote(o)}, v); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !strings.Contains(got[0], tc.want) || !strings.HasPrefix(got[0], tc.src+": cannot list the blobs: ") || strings.Contains(got[0], "SECRET") {
			t.Errorf("%s:\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

type recordingVisitor struct {
	problem func(string, error)
}

func (v *recordingVisitor) File(e *source.Entry) error       { return nil }
func (v *recordingVisitor) Container(c source.ContainerInfo) {}
func (v *recordingVisitor) Problem(p string, e error)        { v.problem(p, e) }

func TestResponseMessages(t *testing.T) {
	s := &blobSource{service: "https://contosologs.blob.core.windows.net", account: "contosologs", container: "applogs", host: "contosologs.blob.core.windows.net"}
	sasCred := blobCred{desc: "the SAS token in the URL", sas: "sv=1&se=2020-01-01T00%3A00%3A00Z&sig=x"}
	for _, tc := range []struct {
		cred       blobCred
		status     int
		code, want string
	}{
		{blobCred{desc: "d"}, 404, "ContainerNotFound", `container "applogs" not found in storage account contosologs`},
		{sasCred, 403, "AuthenticationFailed", "access denied (403 AuthenticationFailed) with the SAS token in the URL: the SAS token expired at 2020-01-01T00:00:00Z"},
		{blobCred{desc: "the SAS token in the URL", sas: "sv=1&sig=x"}, 403, "AuthorizationPermissionMismatch", "read and list permission (sp=rl)"},
		{blobCred{desc: "the SAS token in the URL", sas: "sv=1&sig=x"}, 403, "AuthorizationSourceIPMismatch", "IP address"},
		{blobCred{desc: "no credential (anonymous access)", anon: true}, 409, "PublicAccessNotPermitted", "the container is not public"},
		{blobCred{desc: "d"}, 400, "InvalidHeaderValue", "--skipApiVersionCheck"},
		{blobCred{desc: "d"}, 503, "ServerBusy", "after retries"},
		{blobCred{desc: "d"}, 412, "ConditionNotMet", "changed while it was read"},
	} {
		if got := responseMessage(s, tc.cred, tc.status, tc.code); !strings.Contains(got, tc.want) {
			t.Errorf("%d %s: %s\nwant %q", tc.status, tc.code, got, tc.want)
		}
	}
	if h := sasTimeHint("sv=1&st=2099-01-01T00:00:00Z&sig=x", time.Now()); !strings.Contains(h, "valid only from 2099") {
		t.Errorf("future SAS: %q", h)
	}
}

func TestPrunedByDate(t *testing.T) {
	since := time.Date(2026, 11, 19, 21, 30, 0, 0, time.UTC)
	until := time.Date(2026, 11, 20, 0, 30, 0, 0, time.UTC)
	for name, want := range map[string]bool{
		"site/2026/11/19/20/5b7e2d-8252.applicationLog.csv": true,
		"site/2026/11/19/21/5b7e2d-8252.applicationLog.csv": false,
		"site/2026/11/20/00/5b7e2d-8252.applicationLog.csv": false,
		"site/2026/11/20/01/5b7e2d-8252.applicationLog.csv": true,
		"2026/11/20/01/x.APPLICATIONLOG.CSV":                true,
		"site/2026/11/20/01/x.txt":                          false, // not an application-log blob: never pruned
		"bundles/2026-11-20.zip":                            false,
		"site/2026/02/30/01/x.applicationLog.csv":           false, // not a date
	} {
		if got := prunedByDate(name, since, until); got != want {
			t.Errorf("%s: pruned %v, want %v", name, got, want)
		}
	}
	if prunedByDate("site/2020/01/01/00/x.applicationLog.csv", time.Time{}, time.Time{}) {
		t.Error("no bounds prunes")
	}
}

// chunkedReader returns its data in pieces of the given sizes, then err.
type chunkedReader struct {
	data  []byte
	sizes []int
	err   error
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, c.err
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = min(n, c.sizes[0])
		c.sizes = c.sizes[1:]
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func (c *chunkedReader) Close() error { return nil }

func TestRecordReader(t *testing.T) {
	csv := "date,level,message\r\n" +
		"2026-11-20T09:00:00,Information,one\r\n" +
		"2026-11-20T09:00:01,Information,\"two, quoted\r\nsecond line \"\"x\"\"\"\r\n" +
		"2026-11-20T09:00:02,Information,\"three, unfinished\r\n"
	complete := strings.Index(csv, "2026-11-20T09:00:02")
	for _, tc := range []struct {
		name      string
		data      string
		csv, hold bool
		err       error
		want      string
	}{
		{"csv holds an unfinished quoted record", csv, true, true, io.EOF, csv[:complete]},
		{"csv at a read error", csv, true, false, errors.New("reset"), csv[:complete]},
		{"csv, final block blob: everything", csv, true, false, io.EOF, csv},
		{"text holds an unfinished line", "a\nb\nc", false, true, io.EOF, "a\nb\n"},
		{"text at a read error", "a\nb\nc", false, false, errors.New("reset"), "a\nb\n"},
		{"text, final: everything", "a\nb\nc", false, false, io.EOF, "a\nb\nc"},
		{"nothing whole", "abc", false, true, io.EOF, ""},
	} {
		for _, sizes := range [][]int{nil, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {5, 40, 3}} {
			src := &chunkedReader{data: []byte(tc.data), sizes: append([]int(nil), sizes...), err: tc.err}
			rr := newRecordReader(src, tc.csv, tc.hold, nil)
			got, err := io.ReadAll(rr)
			if (err == nil) != (tc.err == io.EOF) {
				t.Errorf("%s: err %v", tc.name, err)
			}
			if string(got) != tc.want {
				t.Errorf("%s %v: got %q\nwant %q", tc.name, sizes, got, tc.want)
				continue
			}
			sum := sha256.Sum256([]byte(tc.want))
			if rr.sum() != hex.EncodeToString(sum[:]) || rr.delivered != int64(len(tc.want)) || rr.lines != int64(strings.Count(tc.want, "\n")) {
				t.Errorf("%s: sum/delivered/lines %s %d %d", tc.name, rr.sum(), rr.delivered, rr.lines)
			}
			if rr.complete != (tc.err == io.EOF) {
				t.Errorf("%s: complete %v", tc.name, rr.complete)
			}
		}
	}
	// A tail continues the hash of what came before: from the state saved at a multiple of
	// 64 bytes, re-hashing the bytes between it and the tail's start.
	data := []byte(strings.Repeat("2026-11-20T09:00:00,Information,password=hunter2 secret line\n", 40))
	for _, cut := range []int{0, 1, 63, 64, 65, 700, len(data) - 1, len(data)} {
		first := newRecordReader(&chunkedReader{data: data[:cut], sizes: []int{7, 100, 3}, err: io.EOF}, false, false, nil)
		io.ReadAll(first)
		at, saved := first.h.at, first.h.saved
		if at%64 != 0 || at > int64(cut) || int64(cut)-at >= 64 {
			t.Fatalf("cut %d: state saved at %d", cut, at)
		}
		for i := 0; i+8 <= len(data); i += 8 {
			if bytes.Contains(saved, data[i:i+8]) {
				t.Fatalf("cut %d: the saved hash state holds bytes of the content", cut)
			}
		}
		ph, err := newPrefixHash(saved, at)
		if err != nil {
			t.Fatal(err)
		}
		ph.Write(data[at:cut])
		rest := newRecordReader(&chunkedReader{data: data[cut:], err: io.EOF}, false, false, ph)
		io.ReadAll(rest)
		all := sha256.Sum256(data)
		if rest.sum() != hex.EncodeToString(all[:]) {
			t.Errorf("cut %d: resumed hash differs from the hash of the whole", cut)
		}
	}
	// A line longer than the pending limit is let through at its line end.
	long := bytes.Repeat([]byte("x"), maxPendingRecord+10)
	rr := newRecordReader(&chunkedReader{data: append(append([]byte("\""), long...), '\n', 'y'), err: io.EOF}, true, true, nil)
	got, _ := io.ReadAll(rr)
	if len(got) != len(long)+2 {
		t.Errorf("unbalanced quote: %d bytes delivered, want %d", len(got), len(long)+2)
	}
}

func TestHasRecordEnd(t *testing.T) {
	for s, want := range map[string]bool{"a\n": true, "a": false, "\"a\n": false, "\"a\nb\"\n": true} {
		if hasRecordEnd([]byte(s), true) != want {
			t.Errorf("%q", s)
		}
	}
	if !hasRecordEnd([]byte("\"a\n"), false) {
		t.Error("text: any line end")
	}
}

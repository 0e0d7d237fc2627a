package blob

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kudulens/kudulens/pipeline/source"
)

// countingVisitor counts files and records problems.
type countingVisitor struct {
	files    atomic.Int64
	problems []string
}

func (v *countingVisitor) File(e *source.Entry) error       { v.files.Add(1); return nil }
func (v *countingVisitor) Container(c source.ContainerInfo) {}
func (v *countingVisitor) Problem(p string, e error) {
	v.problems = append(v.problems, p+": "+e.Error())
}

// Issue 18, item 11: a listing that never ends (or a container of millions of blobs) was
// collected whole before anything was read, growing without bound. The endpoint here lists
// 1,000 blobs a page for ever; the walk reads them page by page and stops at MaxEntries.
func TestEndlessListingStopsAtMaxEntries(t *testing.T) {
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("comp") == "list" {
			n := pages.Add(1)
			var b strings.Builder
			fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ContainerName="logs"><Blobs>`)
			for i := 0; i < 1000; i++ {
				fmt.Fprintf(&b, `<Blob><Name>p%06d/b%04d.log</Name><Properties><Content-Length>2</Content-Length><BlobType>BlockBlob</BlobType><Etag>0x1</Etag>`+
					`<Last-Modified>Mon, 07 Dec 2026 00:00:00 GMT</Last-Modified><Creation-Time>Mon, 07 Dec 2026 00:00:00 GMT</Creation-Time></Properties></Blob>`, n, i)
			}
			fmt.Fprintf(&b, `</Blobs><NextMarker>m%d</NextMarker></EnumerationResults>`, n)
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte(b.String()))
			return
		}
		w.Header().Set("Content-Range", "bytes 0-1/2")
		w.Header().Set("Content-Length", "2")
		w.Header().Set("x-ms-blob-type", "BlockBlob")
		w.WriteHeader(http.StatusPartialContent)
		w.Write([]byte("x\n"))
	}))
	defer srv.Close()
	v := &countingVisitor{}
	o := &Options{Retries: -1}
	err := source.Walk(context.Background(), []string{srv.URL + "/devstoreaccount1/logs"}, source.WalkOptions{MaxEntries: 2500, Remote: NewRemote(o)}, v)
	if err != nil {
		t.Fatal(err)
	}
	if n := v.files.Load(); n != 2500 {
		t.Errorf("%d blobs read, want 2500", n)
	}
	if p := pages.Load(); p > 3 {
		t.Errorf("%d listing pages fetched for 2500 blobs: the listing is not read as the blobs are", p)
	}
	if len(v.problems) != 1 || !strings.Contains(v.problems[0], "limit exceeded: more than 2500 blobs listed (MaxEntries); the rest were not read") {
		t.Errorf("problems: %q", v.problems)
	}
}

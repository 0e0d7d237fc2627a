package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Lake is a Parquet lake kept in a blob container or under a prefix of one (export --parquet
// <container URL>). The export writes its files in a local folder and publishes them here
// (store.ExportParquetRemote), the commit marker last, so that a reader never sees half an
// export. It authenticates as blob sources do (Options, --auth).
type Lake struct {
	src  *blobSource
	cred blobCred
	cc   *container.Client
	root string // the blob-name prefix of the lake: "" or ending in '/'
}

// markersFolder is where the commit markers are (store's lakeCommitsDir).
const markersFolder = "_kudulens_commits/"

// maxMarkerBytes bounds what is read of one marker: a marker lists one export's files, a few
// hundred bytes each; a larger blob there is not one.
const maxMarkerBytes = 64 << 20

// OpenLake parses a lake's container URL (or az://container/prefix) and chooses its
// credential. It contacts nothing.
func OpenLake(arg string, o *Options) (*Lake, error) {
	src, cred, cc, err := openContainer(arg, o.withDefaults())
	if err != nil {
		return nil, err
	}
	l := &Lake{src: src, cred: cred, cc: cc}
	if p := strings.Trim(src.prefix, "/"); p != "" {
		l.root = p + "/"
	}
	return l, nil
}

// String is the lake's URL without its query (no SAS), for messages.
func (l *Lake) String() string { return l.src.display }

// siteMetadata is the metadata of a commit marker that names its export's site (escaped:
// metadata values are ASCII), so that an export of one site reads only its own markers.
const siteMetadata = "kudulenssite"

// Markers returns the contents of the lake's commit markers by name (<export_id>.json): all
// of them when site is nil, else those whose metadata names site, and those without that
// metadata (written by other tools: the caller reads their site from them). An empty map: no
// export was committed there yet (or the container is empty).
func (l *Lake) Markers(ctx context.Context, site *string) (map[string][]byte, error) {
	prefix := l.root + markersFolder
	out := map[string][]byte{}
	pager := l.cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix, Include: container.ListBlobsInclude{Metadata: true}})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.src.display, describeBlobErr(l.src, l.cred, "cannot list the lake's commit markers", err))
		}
		for _, it := range page.Segment.BlobItems {
			if it.Name == nil {
				continue
			}
			name := strings.TrimPrefix(*it.Name, prefix)
			if strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
				continue
			}
			if site != nil && !markerOf(it.Metadata, *site) {
				continue
			}
			if it.Properties != nil && it.Properties.ContentLength != nil && *it.Properties.ContentLength > maxMarkerBytes {
				return nil, fmt.Errorf("%s: %s%s is %d bytes, not a commit marker", l.src.display, prefix, name, *it.Properties.ContentLength)
			}
			b, err := l.read(ctx, *it.Name)
			if err != nil {
				return nil, err
			}
			out[name] = b
		}
	}
	return out, nil
}

// List returns the files of the lake under the folder rel ('/'-separated, relative to the
// lake), relative to the lake, in the container's order (by name).
func (l *Lake) List(ctx context.Context, rel string) ([]string, error) {
	prefix := l.root + strings.TrimSuffix(rel, "/") + "/"
	var out []string
	pager := l.cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.src.display, describeBlobErr(l.src, l.cred, "cannot list "+prefix, err))
		}
		for _, it := range page.Segment.BlobItems {
			if it.Name != nil {
				out = append(out, strings.TrimPrefix(*it.Name, l.root))
			}
		}
	}
	return out, nil
}

// Probe lists one blob of the lake: it fails, saying why, when the container is not there or
// the credential cannot list it — before an export spends an ingest on a lake it cannot
// write. (Write permission shows at the first upload.)
func (l *Lake) Probe(ctx context.Context) error {
	one := int32(1)
	prefix := l.root
	_, err := l.cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &prefix, MaxResults: &one}).NextPage(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", l.src.display, describeBlobErr(l.src, l.cred, "cannot list the lake", err))
	}
	return nil
}

// markerOf reports whether a marker with metadata md may be of site's export: its site
// metadata names site, or it has none.
func markerOf(md map[string]*string, site string) bool {
	for k, v := range md {
		if strings.EqualFold(k, siteMetadata) && v != nil {
			s, err := url.QueryUnescape(*v)
			return err != nil || s == site
		}
	}
	return true
}

// read downloads one small blob whole.
func (l *Lake) read(ctx context.Context, name string) ([]byte, error) {
	resp, err := l.cc.NewBlobClient(name).DownloadStream(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.src.display, describeBlobErr(l.src, l.cred, "cannot read "+name, err))
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(resp.Body, maxMarkerBytes+1)); err != nil {
		return nil, fmt.Errorf("%s: read %s: %s", l.src.display, name, sanitize(err.Error()))
	}
	if buf.Len() > maxMarkerBytes {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes, not a commit marker", l.src.display, name, maxMarkerBytes)
	}
	return buf.Bytes(), nil
}

// blobName is the blob of a lake file given relative to the lake ('/'-separated).
func (l *Lake) blobName(rel string) (string, error) {
	if rel == "" || strings.HasPrefix(rel, "/") || path.Clean(rel) != rel || strings.HasPrefix(rel, "../") || rel == ".." {
		return "", fmt.Errorf("%s: %q is not a path inside the lake", l.src.display, rel)
	}
	return l.root + rel, nil
}

// Download copies the lake file rel into the local file local (created or truncated).
func (l *Lake) Download(ctx context.Context, rel, local string) error {
	name, err := l.blobName(rel)
	if err != nil {
		return err
	}
	f, err := os.Create(local)
	if err != nil {
		return err
	}
	_, err = l.cc.NewBlobClient(name).DownloadFile(ctx, f, nil)
	if cerr := f.Close(); err == nil && cerr != nil {
		return cerr
	}
	if err != nil {
		os.Remove(local)
		return fmt.Errorf("%s: %w", l.src.display, describeBlobErr(l.src, l.cred, "cannot download "+name, err))
	}
	return nil
}

// Upload writes the local file local to the lake file rel, replacing it if it is there (an
// export redone after a crash writes the same names again).
func (l *Lake) Upload(ctx context.Context, local, rel string) error {
	return l.upload(ctx, local, rel, nil)
}

func (l *Lake) upload(ctx context.Context, local, rel string, md map[string]*string) error {
	name, err := l.blobName(rel)
	if err != nil {
		return err
	}
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := l.cc.NewBlockBlobClient(name).UploadFile(ctx, f, &blockblob.UploadFileOptions{Metadata: md}); err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && (re.StatusCode == 403 || re.StatusCode == 401) && writeRefused[re.ErrorCode] {
			// The readers' hint (read and list) is not the one a writer needs.
			return newBlobError(err, "%s: cannot upload %s: access denied (%d %s) with %s: the credential may read but not write; a lake needs read, list, create and write permission (a SAS with sp=rlcw), or with Entra ID the role Storage Blob Data Contributor on the container",
				l.src.display, name, re.StatusCode, re.ErrorCode, l.cred.desc)
		}
		return fmt.Errorf("%s: %w", l.src.display, describeBlobErr(l.src, l.cred, "cannot upload "+name, err))
	}
	return nil
}

// PutMarker uploads a commit marker, its export's site in its metadata (see Markers).
func (l *Lake) PutMarker(ctx context.Context, local, rel, site string) error {
	return l.upload(ctx, local, rel, map[string]*string{siteMetadata: to.Ptr(url.QueryEscape(site))})
}

// writeRefused are the answers to a write the credential is not allowed to make.
var writeRefused = map[string]bool{"AuthorizationPermissionMismatch": true, "AuthorizationResourceTypeMismatch": true,
	"InsufficientAccountPermissions": true, "AuthorizationFailure": true}

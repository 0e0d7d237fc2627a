package blob

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// Site is one site of a fleet kept in blob storage: a top-level folder or blob under the
// source's container or prefix (a site's logs, or one bundle).
type Site struct {
	Name   string // the folder's or blob's name under the prefix, without '/'
	Folder bool
	// HoldsJobs: the folder holds jobs/ (a "data" folder with data/jobs under it): the source
	// is then one site's own folder rather than a folder of sites (diagnose --fleet says so).
	HoldsJobs bool
	Source    string // a source argument that reads this site alone, with the source's credentials (secret: holds the SAS)
	Display   string // Source without its query: for reports and messages
}

// ListSites lists the top-level folders and blobs under a blob source, in name order: the
// sites of diagnose --fleet on a container. Errors say which credential was tried, never its
// value.
func ListSites(ctx context.Context, arg string, o *Options) ([]Site, error) {
	src, cred, cc, err := openContainer(arg, o.withDefaults())
	if err != nil {
		return nil, err
	}
	folder := ""
	if src.prefix != "" {
		folder = strings.TrimSuffix(src.prefix, "/") + "/"
	}
	opts := &container.ListBlobsHierarchyOptions{Include: container.ListBlobsInclude{Metadata: true}}
	if folder != "" {
		opts.Prefix = &folder
	}
	seen := map[string]bool{}
	var sites []Site
	add := func(full string, isFolder bool) {
		name := strings.TrimSuffix(strings.TrimPrefix(full, folder), "/")
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		sites = append(sites, src.site(name, isFolder))
	}
	pager := cc.NewListBlobsHierarchyPager("/", opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src.display, describeBlobErr(src, cred, "cannot list the sites", err))
		}
		for _, p := range page.Segment.BlobPrefixes {
			if p.Name != nil {
				add(*p.Name, true)
			}
		}
		for _, it := range page.Segment.BlobItems {
			if it.Name == nil {
				continue
			}
			add(*it.Name, isFolderBlob(it.Metadata))
		}
	}
	for i := range sites {
		if sites[i].Folder && strings.EqualFold(sites[i].Name, "data") {
			jobs := folder + sites[i].Name + "/jobs/"
			one := int32(1)
			page, err := cc.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &jobs, MaxResults: &one}).NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src.display, describeBlobErr(src, cred, "cannot list "+jobs, err))
			}
			sites[i].HoldsJobs = len(page.Segment.BlobItems) > 0
		}
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].Name < sites[j].Name })
	return sites, nil
}

// openContainer parses a source argument, chooses its credential and makes the container's
// client. It contacts nothing; errors never hold a secret.
func openContainer(arg string, o *Options) (*blobSource, blobCred, *container.Client, error) {
	src, err := parseBlobSource(arg, o)
	if err != nil {
		return nil, blobCred{}, nil, newBlobError(err, "%s: %s", safeArg(arg), err.Error())
	}
	cred, err := src.chooseCred(o)
	if err != nil {
		return nil, blobCred{}, nil, newBlobError(err, "%s: %s", src.display, err.Error())
	}
	cc, err := src.containerClient(o, cred)
	return src, cred, cc, err
}

// site is the source argument for one top-level name under s: the same endpoint, container
// and credentials, the prefix one level deeper.
func (s *blobSource) site(name string, folder bool) Site {
	prefix := name
	if s.prefix != "" {
		prefix = strings.TrimSuffix(s.prefix, "/") + "/" + name
	}
	bs := Site{Name: name, Folder: folder}
	if s.az {
		bs.Source = "az://" + s.container + "/" + prefix
		bs.Display = bs.Source
		return bs
	}
	segs := strings.Split(prefix, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	bs.Display = s.service + "/" + url.PathEscape(s.container) + "/" + strings.Join(segs, "/")
	bs.Source = bs.Display
	if s.sas != "" {
		bs.Source += "?" + s.sas
	}
	return bs
}

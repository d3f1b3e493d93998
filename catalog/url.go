package catalog

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"sync"
)

// CatalogURLOpener opens a Catalog from a URL. Driver packages register one
// per scheme with DefaultURLMux in their init functions.
type CatalogURLOpener interface {
	OpenCatalogURL(ctx context.Context, u *url.URL) (*Catalog, error)
}

// URLMux maps URL schemes to CatalogURLOpeners. The zero URLMux is empty
// and ready to use.
type URLMux struct {
	mu      sync.RWMutex
	openers map[string]CatalogURLOpener
}

// RegisterCatalog registers opener for scheme. It panics if scheme is
// already registered, as URL schemes are registered once, in init.
func (m *URLMux) RegisterCatalog(scheme string, opener CatalogURLOpener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.openers == nil {
		m.openers = make(map[string]CatalogURLOpener)
	}
	if _, ok := m.openers[scheme]; ok {
		panic(fmt.Sprintf("catalog: scheme %q already registered", scheme))
	}
	m.openers[scheme] = opener
}

// ValidCatalogScheme reports whether scheme has an opener.
func (m *URLMux) ValidCatalogScheme(scheme string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.openers[scheme]
	return ok
}

// CatalogSchemes returns the registered schemes, sorted.
func (m *URLMux) CatalogSchemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := make([]string, 0, len(m.openers))
	for k := range m.openers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// OpenCatalog opens the Catalog of urlstr with the opener of its scheme.
func (m *URLMux) OpenCatalog(ctx context.Context, urlstr string) (*Catalog, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %q: %w", urlstr, err)
	}
	return m.OpenCatalogURL(ctx, u)
}

// OpenCatalogURL opens the Catalog of u with the opener of its scheme.
func (m *URLMux) OpenCatalogURL(ctx context.Context, u *url.URL) (*Catalog, error) {
	if u.Scheme == "" {
		return nil, fmt.Errorf("catalog: open %q: no scheme (want one of %v)", u, m.CatalogSchemes())
	}
	m.mu.RLock()
	o := m.openers[u.Scheme]
	m.mu.RUnlock()
	if o == nil {
		return nil, fmt.Errorf("catalog: open %q: unknown scheme %q (registered: %v; import the driver package, e.g. catalog/localcat or catalog/gluecat)", u.Redacted(), u.Scheme, m.CatalogSchemes())
	}
	c, err := o.OpenCatalogURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("catalog: open %q: %w", u.Redacted(), err)
	}
	return c, nil
}

var defaultURLMux = new(URLMux)

// DefaultURLMux returns the URLMux that OpenCatalog uses, where driver
// packages register their schemes.
func DefaultURLMux() *URLMux { return defaultURLMux }

// OpenCatalog opens a Catalog by URL with DefaultURLMux. The driver
// packages register these schemes (import them for their side effects):
//
//	localcat: mem://, file:///dir, s3://bucket, gs://bucket, azblob://container
//	          (a JSON manifest catalog kept in that bucket)
//	gluecat:  glue://DATABASE?region=REGION&endpoint=URL&profile=NAME&catalog_id=ID
func OpenCatalog(ctx context.Context, urlstr string) (*Catalog, error) {
	return defaultURLMux.OpenCatalog(ctx, urlstr)
}

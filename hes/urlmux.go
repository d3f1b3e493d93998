package hes

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// SourceURLOpener opens a Source from a URL. Driver packages register
// theirs on DefaultURLMux in their init.
type SourceURLOpener interface {
	OpenSourceURL(ctx context.Context, u *url.URL) (*Source, error)
}

// URLMux routes source URLs to openers by scheme, like gocloud.dev's
// muxes. A scheme may be registered exactly ("sftp") or as a prefix
// ending in "+" ("drop+" takes "drop+file", "drop+s3", ...). The zero
// value is ready to use; it is safe for concurrent use.
type URLMux struct {
	mu       sync.RWMutex
	schemes  map[string]SourceURLOpener
	prefixes map[string]SourceURLOpener
}

// RegisterSource registers opener for scheme. A scheme ending in "+" is a
// prefix. It panics if the scheme is registered already or invalid.
func (m *URLMux) RegisterSource(scheme string, opener SourceURLOpener) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if scheme == "" || strings.ContainsAny(scheme, ":/") {
		panic(fmt.Sprintf("hes: invalid scheme %q", scheme))
	}
	if strings.HasSuffix(scheme, "+") {
		if m.prefixes == nil {
			m.prefixes = map[string]SourceURLOpener{}
		}
		if _, ok := m.prefixes[scheme]; ok {
			panic(fmt.Sprintf("hes: scheme prefix %q registered twice", scheme))
		}
		m.prefixes[scheme] = opener
		return
	}
	if m.schemes == nil {
		m.schemes = map[string]SourceURLOpener{}
	}
	if _, ok := m.schemes[scheme]; ok {
		panic(fmt.Sprintf("hes: scheme %q registered twice", scheme))
	}
	m.schemes[scheme] = opener
}

// ValidSourceScheme reports whether scheme has an opener.
func (m *URLMux) ValidSourceScheme(scheme string) bool {
	return m.opener(scheme) != nil
}

// SourceSchemes returns the registered schemes and prefixes, sorted.
func (m *URLMux) SourceSchemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for s := range m.schemes {
		out = append(out, s)
	}
	for s := range m.prefixes {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (m *URLMux) opener(scheme string) SourceURLOpener {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if o, ok := m.schemes[scheme]; ok {
		return o
	}
	if i := strings.Index(scheme, "+"); i >= 0 {
		return m.prefixes[scheme[:i+1]]
	}
	return nil
}

// OpenSource opens the source at urlstr.
func (m *URLMux) OpenSource(ctx context.Context, urlstr string) (*Source, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, &Error{Code: InvalidArgument, Op: "OpenSource", Err: fmt.Errorf("bad URL %q: %w", urlstr, err)}
	}
	if u.Scheme == "" {
		return nil, &Error{Code: InvalidArgument, Op: "OpenSource", Err: fmt.Errorf("URL %q has no scheme", urlstr)}
	}
	o := m.opener(strings.ToLower(u.Scheme))
	if o == nil {
		return nil, &Error{Code: InvalidArgument, Op: "OpenSource",
			Err: fmt.Errorf("no source for scheme %q (known: %s; is the driver package imported?)", u.Scheme, strings.Join(m.SourceSchemes(), ", "))}
	}
	return o.OpenSourceURL(ctx, u)
}

// DefaultURLMux is the mux that OpenSource uses. The driver packages
// httpsource, dropsource and sftpsource register their schemes on it.
var DefaultURLMux = new(URLMux)

// OpenSource opens the source at urlstr with DefaultURLMux. The driver
// packages document their URLs:
//
//	hes+http://host:port/?api_key_env=HES_API_KEY&window=1h   a HES HTTP API (httpsource)
//	drop+file:///var/drop, drop+s3://bucket/prefix           a drop folder in a bucket (dropsource)
//	sftp://user@host:22/outbox?key=/path/id_ed25519           an SFTP directory (sftpsource)
func OpenSource(ctx context.Context, urlstr string) (*Source, error) {
	return DefaultURLMux.OpenSource(ctx, urlstr)
}

// NameFromURL derives a source name from a URL: the query parameter
// "name" if set, else the host and path with every character outside
// [A-Za-z0-9._-] replaced by "-". Driver packages use it.
func NameFromURL(u *url.URL) string {
	if n := u.Query().Get("name"); n != "" {
		return n
	}
	s := strings.Trim(u.Host+"/"+strings.Trim(u.Path, "/"), "/")
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	s = strings.Trim(string(b), "-.")
	if s == "" {
		s = "source"
	}
	if len(s) > 128 {
		s = s[len(s)-128:]
	}
	return s
}

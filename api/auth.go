package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// keySet holds the SHA-256 digests of the API keys, so that comparisons
// take the same time whatever the keys' lengths.
type keySet [][sha256.Size]byte

func newKeySet(keys []string) keySet {
	var ks keySet
	for _, k := range keys {
		if k != "" {
			ks = append(ks, sha256.Sum256([]byte(k)))
		}
	}
	return ks
}

// valid compares key with every key, in constant time.
func (ks keySet) valid(key string) bool {
	if key == "" {
		return false
	}
	h := sha256.Sum256([]byte(key))
	ok := 0
	for i := range ks {
		ok |= subtle.ConstantTimeCompare(h[:], ks[i][:])
	}
	return ok == 1
}

// requestKey returns the key of a request: the Bearer token, or the
// password of Basic authentication.
func requestKey(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	return ""
}

// Authenticate wraps h so that requests without one of keys (as a Bearer
// token or a Basic password) get 401 with a JSON error and both challenges,
// so that browsers prompt for a password. With no keys, every request is
// refused. The paths in open (exact) are served without a key.
func Authenticate(h http.Handler, keys []string, open ...string) http.Handler {
	ks := newKeySet(keys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range open {
			if r.URL.Path == p {
				h.ServeHTTP(w, r)
				return
			}
		}
		if !ks.valid(requestKey(r)) {
			w.Header().Add("WWW-Authenticate", `Bearer realm="mda"`)
			w.Header().Add("WWW-Authenticate", `Basic realm="mda", charset="UTF-8"`)
			msg := `missing API key: send "Authorization: Bearer KEY"`
			if r.Header.Get("Authorization") != "" {
				msg = "invalid API key"
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// IsLoopback reports whether a listen address (host:port, as given to
// net.Listen) accepts connections from this host only: its host is
// "localhost" or a loopback IP. An empty host (":8080") listens on every
// interface and is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

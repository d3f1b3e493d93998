package driver

import (
	"context"
	"errors"
	"io"
)

// Object is one unit of data a source delivers: a file in a drop folder or
// a window of reads of a head-end system's API.
type Object struct {
	// Name identifies the object in its source. It is stable across
	// retries and restarts (the same data always has the same name), is a
	// valid blob key segment (no "/"), and names the landed copy.
	Name string
	// Size is the size in bytes, or -1 if unknown until it is read.
	Size int64
	// Attempts counts the earlier attempts at the object that failed
	// (Nack with count), as far as the driver knows.
	Attempts int
	// Private belongs to the driver.
	Private any
}

// Source is a source of objects.
type Source interface {
	// List returns at most max objects that are ready to be fetched, in
	// the order they must be acknowledged if Ordered. cursor is the
	// source's position as last returned by Ack or Nack and saved by hes
	// (nil the first time).
	List(ctx context.Context, cursor []byte, max int) ([]*Object, error)
	// Open claims the object and returns its content. An object that
	// holds no data (an empty window) has empty content. If another
	// fetcher holds the object, Open returns an error for which ErrorCode
	// returns Claimed.
	Open(ctx context.Context, obj *Object) (io.ReadCloser, error)
	// Ack records that the object's content is safe: it is archived,
	// deleted or stepped over. It returns the new cursor, or nil to keep
	// the old one.
	Ack(ctx context.Context, obj *Object) (cursor []byte, err error)
	// Nack records a failed attempt and releases the object. If count is
	// true the failure counts towards the object's quarantine: once it has
	// failed too often the driver quarantines it (quarantined is true) and
	// will not list it again. A false count (a transient error, such as a
	// network error) never quarantines. It returns the new cursor, or nil.
	Nack(ctx context.Context, obj *Object, cause error, count bool) (cursor []byte, quarantined bool, err error)
	// Ordered reports whether objects must be acknowledged in the order of
	// List: an ordered source stops at the first object that fails.
	Ordered() bool
	// ErrorCode classifies an error returned by the driver's methods.
	ErrorCode(err error) ErrorCode
	// Close releases the driver's resources.
	Close() error
}

// ErrorCode classifies errors. hes re-exports the codes.
type ErrorCode int

// Error codes.
const (
	// Unknown is any error not classified otherwise.
	Unknown ErrorCode = iota
	// NotFound: the object or resource does not exist.
	NotFound
	// Claimed: another fetcher holds the object.
	Claimed
	// PermissionDenied: the credentials were refused.
	PermissionDenied
	// InvalidArgument: the request or the configuration is wrong.
	InvalidArgument
	// Unavailable: a transient failure (network, server error, a failed
	// export); trying again later may succeed.
	Unavailable
	// Internal: a failure of the source that trying again will not fix.
	Internal
)

// ErrClaimed is returned (wrapped) by Open when another fetcher holds the
// object; drivers may use it, or their own error mapped by ErrorCode.
var ErrClaimed = errors.New("object claimed by another fetcher")

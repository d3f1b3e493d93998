package hes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"

	"github.com/openmda/mda/hes/driver"
)

// Source is a portable source of head-end data: a head-end system's HTTP
// API, a drop folder in any bucket, or an SFTP directory. Open one with
// OpenSource (by URL) or NewSource (from a driver). Fetch, Pull and Run
// bring its objects into an inbound bucket.
type Source struct {
	d    driver.Source
	name string

	mu     sync.Mutex
	closed bool
}

// NewSource returns a Source over a driver. name names the source in the
// inbound bucket (landing keys and the state object); it must match
// [A-Za-z0-9._-]+ and not start with ".". It is meant for driver packages;
// users call OpenSource or a driver's constructor.
func NewSource(d driver.Source, name string) (*Source, error) {
	if !validName(name) {
		return nil, &Error{Code: InvalidArgument, Op: "NewSource", Err: fmt.Errorf("invalid source name %q (want [A-Za-z0-9._-]+)", name)}
	}
	return &Source{d: d, name: name}, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$`)

func validName(s string) bool { return nameRE.MatchString(s) }

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// Close releases the source's resources.
func (s *Source) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return &Error{Code: FailedPrecondition, Source: s.name, Op: "Close", Err: errClosed}
	}
	s.closed = true
	if err := s.d.Close(); err != nil {
		return s.wrap("Close", "", err)
	}
	return nil
}

var errClosed = errors.New("source closed")

func (s *Source) checkOpen(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return &Error{Code: FailedPrecondition, Source: s.name, Op: op, Err: errClosed}
	}
	return nil
}

// wrap turns a driver error into an *Error.
func (s *Source) wrap(op, object string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	code := Unknown
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		code = Canceled
	case errors.Is(err, driver.ErrClaimed):
		code = Claimed
	default:
		code = ErrorCode(s.d.ErrorCode(err))
	}
	return &Error{Code: code, Source: s.name, Op: op, Object: object, Err: err}
}

// ErrorCode classifies errors of this package.
type ErrorCode int

// Error codes. The first ones are the driver's (driver.ErrorCode).
const (
	Unknown                      = ErrorCode(driver.Unknown)
	NotFound                     = ErrorCode(driver.NotFound)
	Claimed                      = ErrorCode(driver.Claimed)
	PermissionDenied             = ErrorCode(driver.PermissionDenied)
	InvalidArgument              = ErrorCode(driver.InvalidArgument)
	Unavailable                  = ErrorCode(driver.Unavailable)
	Internal                     = ErrorCode(driver.Internal)
	FailedPrecondition ErrorCode = 100 + iota // the source is closed, or the state is unreadable
	Canceled                                  // the context was canceled
	Processing                                // the caller's process function failed
)

func (c ErrorCode) String() string {
	switch c {
	case Unknown:
		return "Unknown"
	case NotFound:
		return "NotFound"
	case Claimed:
		return "Claimed"
	case PermissionDenied:
		return "PermissionDenied"
	case InvalidArgument:
		return "InvalidArgument"
	case Unavailable:
		return "Unavailable"
	case Internal:
		return "Internal"
	case FailedPrecondition:
		return "FailedPrecondition"
	case Canceled:
		return "Canceled"
	case Processing:
		return "Processing"
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// Error is the error type of this package: what failed, where, and how
// it is classified. It unwraps to the underlying error.
type Error struct {
	Code   ErrorCode
	Source string // the source's name, if known
	Op     string // the operation, e.g. "Fetch", "Open"
	Object string // the object's name, if any
	Err    error
}

func (e *Error) Error() string {
	s := "hes: "
	if e.Source != "" {
		s += e.Source + ": "
	}
	s += e.Op
	if e.Object != "" {
		s += " " + e.Object
	}
	return s + ": " + e.Err.Error() + " (" + e.Code.String() + ")"
}

func (e *Error) Unwrap() error { return e.Err }

// Code returns the ErrorCode of err: that of the first *Error in its chain,
// Canceled for context errors, else Unknown.
func Code(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	return Unknown
}

// readCloser closes the driver's reader and counts bytes.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

package catalog

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an error. Programs should act on an error's code
// (with errors.Is and the Err* sentinels, or [Code]), not on its message.
type ErrorCode int

// The error codes. Drivers map their service's errors to these.
const (
	// Unknown is an error the driver could not classify.
	Unknown ErrorCode = iota
	// NotFound: the database, table or partition does not exist.
	NotFound
	// AlreadyExists: the database or table exists already.
	AlreadyExists
	// InvalidArgument: a name, value, definition or filter is malformed.
	InvalidArgument
	// FailedPrecondition: the request conflicts with the catalog's state,
	// such as a change of an existing table's partition keys.
	FailedPrecondition
	// Aborted: a conditional update lost too many races with other writers.
	Aborted
)

var codeNames = [...]string{"unknown", "not found", "already exists", "invalid argument", "failed precondition", "aborted"}

func (c ErrorCode) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// Sentinels matched with errors.Is by every *Error of their code.
var (
	ErrNotFound           = errors.New("catalog: not found")
	ErrAlreadyExists      = errors.New("catalog: already exists")
	ErrInvalidArgument    = errors.New("catalog: invalid argument")
	ErrFailedPrecondition = errors.New("catalog: failed precondition")
	ErrAborted            = errors.New("catalog: aborted")
)

var sentinels = map[ErrorCode]error{
	NotFound:           ErrNotFound,
	AlreadyExists:      ErrAlreadyExists,
	InvalidArgument:    ErrInvalidArgument,
	FailedPrecondition: ErrFailedPrecondition,
	Aborted:            ErrAborted,
}

// Error is the error of every Catalog method. It wraps the driver's
// error, which [Catalog.ErrorAs] exposes as the service's own type.
type Error struct {
	// Code classifies the error.
	Code ErrorCode
	// Op is the Catalog method, e.g. "AddPartitions".
	Op string
	// Target names what the operation was about, e.g. "db.table".
	Target string
	// Err is the underlying error (the driver's, unwrapped by Unwrap).
	Err error
}

func (e *Error) Error() string {
	s := "catalog: " + e.Op
	if e.Target != "" {
		s += " " + e.Target
	}
	if e.Err != nil {
		return s + ": " + e.Err.Error()
	}
	return s + ": " + e.Code.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's code (ErrNotFound for
// NotFound, and so on).
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// Code returns the code of err: that of the first *Error in its chain, or
// Unknown. A nil error has code Unknown.
func Code(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Unknown
}

// Errorf returns an *Error of the given code whose Err is fmt.Errorf(format,
// args...). Drivers use it for errors they make themselves; Catalog methods
// fill in Op and Target.
func Errorf(code ErrorCode, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// PartitionError reports the failure of one partition in a batch.
// AddPartitions and DropPartitions return the failures of a batch joined
// (errors.Join), each a *PartitionError wrapping the driver's error.
type PartitionError struct {
	// Values are the partition's values.
	Values []string
	// Err is why it failed.
	Err error
}

func (e *PartitionError) Error() string {
	return fmt.Sprintf("partition %q: %v", e.Values, e.Err)
}

// Unwrap returns the underlying error.
func (e *PartitionError) Unwrap() error { return e.Err }

// wrap makes err an *Error of op. A driver-made *Error keeps its code and
// gains op and target; an *Error of a Catalog method is returned as it is
// (no double wrapping); any other error is classified by the driver.
func (c *Catalog) wrap(err error, op, target string) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		if e.Op != "" {
			return e
		}
		return &Error{Code: e.Code, Op: op, Target: target, Err: e.Err}
	}
	return &Error{Code: c.classify(err), Op: op, Target: target, Err: err}
}

// classify finds the code of a driver error.
func (c *Catalog) classify(err error) ErrorCode {
	if code := Code(err); code != Unknown {
		return code
	}
	if c.d != nil {
		return c.d.ErrorCode(err)
	}
	return Unknown
}

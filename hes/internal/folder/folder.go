package folder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/openmda/mda/hes/driver"
)

// Entry is a file in a directory.
type Entry struct {
	Name string
	Size int64
}

// FS is what the folder needs of a file system. Paths are relative to the
// folder's root and use "/".
type FS interface {
	// List returns the files (not directories) directly in dir ("" for
	// the root).
	List(ctx context.Context, dir string) ([]Entry, error)
	// Open opens a file for reading. A missing file may fail at the
	// first Read rather than at Open (SFTP servers open lazily).
	Open(ctx context.Context, path string) (io.ReadCloser, error)
	// Stat returns a file's size and modification time (the store's clock).
	Stat(ctx context.Context, path string) (int64, time.Time, error)
	// ReadFile reads a small file.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// WriteFile writes a small file. If exclusive, it fails with an error
	// for which IsExist is true when path exists, and leaves it unchanged.
	WriteFile(ctx context.Context, path string, data []byte, exclusive bool) error
	// Move moves src to dst, replacing dst.
	Move(ctx context.Context, src, dst string) error
	// Remove removes a file; a missing file is not an error.
	Remove(ctx context.Context, path string) error
	IsNotExist(err error) bool
	IsExist(err error) bool
	// Code classifies an error of the file system.
	Code(err error) driver.ErrorCode
	Close() error
}

// Subdirectories.
const (
	ProcessingDir = "processing/"
	ArchiveDir    = "archive/"
	PoisonDir     = "poison/"
)

// Options configures a folder. Nil means the defaults.
type Options struct {
	// ClaimTimeout is the age after which a claim is taken over, because
	// its fetcher must have died; default 15 minutes. It must exceed the
	// time to fetch and process the largest file.
	ClaimTimeout time.Duration
	// MaxAttempts is how many failed attempts quarantine a file; default 3.
	MaxAttempts int
	// DeleteAcked deletes acknowledged files instead of moving them to
	// archive/.
	DeleteAcked bool
	// Now is the clock of claims; default time.Now.
	Now func() time.Time
}

// Source is a drop folder; it implements driver.Source.
type Source struct {
	fs    FS
	o     Options
	owner string
}

// New returns a drop folder over fs.
func New(fs FS, opts *Options) *Source {
	s := &Source{fs: fs}
	if opts != nil {
		s.o = *opts
	}
	if s.o.ClaimTimeout <= 0 {
		s.o.ClaimTimeout = 15 * time.Minute
	}
	if s.o.MaxAttempts <= 0 {
		s.o.MaxAttempts = 3
	}
	if s.o.Now == nil {
		s.o.Now = time.Now
	}
	var b [8]byte
	rand.Read(b[:])
	s.owner = hex.EncodeToString(b[:])
	return s
}

// Claim is the content of a claim file.
type Claim struct {
	Owner string    `json:"owner"`
	Time  time.Time `json:"time"`
	torn  bool      // unreadable: Time is the file's modification time
}

// Attempts is the content of an attempts file.
type Attempts struct {
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	Time      time.Time `json:"time"`
}

func ignored(name string) bool {
	return name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".tmp")
}

// List implements driver.Source: the files of the root that are not
// claimed (or whose claim is stale), by name.
func (s *Source) List(ctx context.Context, _ []byte, max int) ([]*driver.Object, error) {
	files, err := s.fs.List(ctx, "")
	if err != nil {
		return nil, err
	}
	proc, err := s.fs.List(ctx, strings.TrimSuffix(ProcessingDir, "/"))
	if err != nil && !s.fs.IsNotExist(err) {
		return nil, err
	}
	has := map[string]bool{}
	for _, e := range proc {
		has[e.Name] = true
	}
	slices.SortFunc(files, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	var out []*driver.Object
	for _, f := range files {
		if len(out) >= max {
			break
		}
		if ignored(f.Name) {
			continue
		}
		if has[f.Name+".claim"] {
			if c, err := s.readClaim(ctx, f.Name); err == nil && !s.stale(c) {
				continue
			}
		}
		obj := &driver.Object{Name: f.Name, Size: f.Size}
		if has[f.Name+".attempts"] {
			a, err := s.readAttempts(ctx, f.Name)
			if err != nil {
				return nil, err
			}
			obj.Attempts = a.Attempts
		}
		out = append(out, obj)
	}
	return out, nil
}

// stale reports whether a claim's fetcher must have died.
func (s *Source) stale(c Claim) bool {
	if c.torn {
		return time.Since(c.Time) > s.o.ClaimTimeout
	}
	return s.o.Now().Sub(c.Time) > s.o.ClaimTimeout
}

func (s *Source) readClaim(ctx context.Context, name string) (Claim, error) {
	var c Claim
	path := ProcessingDir + name + ".claim"
	data, err := s.fs.ReadFile(ctx, path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		// A claim being written (creation and content are not atomic on
		// every store), or torn by a crash: it ages from its modification
		// time, on the store's clock.
		_, mod, err := s.fs.Stat(ctx, path)
		if err != nil {
			return c, err
		}
		return Claim{Time: mod, torn: true}, nil
	}
	return c, nil
}

func (s *Source) readAttempts(ctx context.Context, name string) (Attempts, error) {
	var a Attempts
	data, err := s.fs.ReadFile(ctx, ProcessingDir+name+".attempts")
	if s.fs.IsNotExist(err) {
		return a, nil
	}
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("%s%s.attempts: %w", ProcessingDir, name, err)
	}
	return a, nil
}

// claim takes name exclusively, taking over a stale claim.
func (s *Source) claim(ctx context.Context, name string) error {
	data, _ := json.Marshal(Claim{Owner: s.owner, Time: s.o.Now().UTC()})
	path := ProcessingDir + name + ".claim"
	for try := 0; ; try++ {
		err := s.fs.WriteFile(ctx, path, data, true)
		if err == nil {
			return nil
		}
		if !s.fs.IsExist(err) {
			return err
		}
		c, rerr := s.readClaim(ctx, name)
		if s.fs.IsNotExist(rerr) && try == 0 {
			continue // released meanwhile
		}
		if rerr != nil || !s.stale(c) || try > 0 {
			return fmt.Errorf("%s: %w", name, driver.ErrClaimed)
		}
		// Take over a dead fetcher's claim. Two fetchers racing here may
		// both succeed; the object is then landed twice, which processing
		// must tolerate anyway (it is idempotent).
		if err := s.fs.Remove(ctx, path); err != nil {
			return err
		}
	}
}

// Open implements driver.Source: it claims the file and opens it.
func (s *Source) Open(ctx context.Context, obj *driver.Object) (io.ReadCloser, error) {
	if err := s.claim(ctx, obj.Name); err != nil {
		return nil, err
	}
	// The file may have been taken and archived by another fetcher
	// between our List and our claim.
	_, _, err := s.fs.Stat(ctx, obj.Name)
	var r io.ReadCloser
	if err == nil {
		r, err = s.fs.Open(ctx, obj.Name)
	}
	if err != nil {
		s.fs.Remove(context.WithoutCancel(ctx), ProcessingDir+obj.Name+".claim")
		if s.fs.IsNotExist(err) { // taken and archived by another fetcher
			return nil, fmt.Errorf("%s: %w", obj.Name, driver.ErrClaimed)
		}
		return nil, err
	}
	return r, nil
}

// owns reports whether this fetcher still holds name's claim.
func (s *Source) owns(ctx context.Context, name string) error {
	c, err := s.readClaim(ctx, name)
	if err != nil {
		return err
	}
	if c.Owner != s.owner {
		return fmt.Errorf("%s: claim lost to %s: %w", name, c.Owner, driver.ErrClaimed)
	}
	return nil
}

// Ack implements driver.Source: the file moves to archive/ (or is
// deleted) and its claim is released.
func (s *Source) Ack(ctx context.Context, obj *driver.Object) ([]byte, error) {
	if err := s.owns(ctx, obj.Name); err != nil {
		return nil, err
	}
	var err error
	if s.o.DeleteAcked {
		err = s.fs.Remove(ctx, obj.Name)
	} else {
		err = s.fs.Move(ctx, obj.Name, ArchiveDir+obj.Name)
	}
	if err != nil {
		return nil, err
	}
	return nil, errors.Join(s.fs.Remove(ctx, ProcessingDir+obj.Name+".attempts"), s.fs.Remove(ctx, ProcessingDir+obj.Name+".claim"))
}

// PoisonRecord is the content of poison/<name>.error.json.
type PoisonRecord struct {
	Name     string    `json:"name"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
	Time     time.Time `json:"time"`
}

// Nack implements driver.Source: a counted failure is recorded; at
// MaxAttempts the file moves to poison/.
func (s *Source) Nack(ctx context.Context, obj *driver.Object, cause error, count bool) ([]byte, bool, error) {
	claim := ProcessingDir + obj.Name + ".claim"
	if !count {
		return nil, false, s.fs.Remove(ctx, claim)
	}
	a, err := s.readAttempts(ctx, obj.Name)
	if err != nil {
		return nil, false, err
	}
	a.Attempts = max(a.Attempts, obj.Attempts) + 1
	a.LastError = cause.Error()
	a.Time = s.o.Now().UTC()
	if a.Attempts >= s.o.MaxAttempts {
		if err := s.fs.Move(ctx, obj.Name, PoisonDir+obj.Name); err != nil {
			return nil, false, err
		}
		rec, _ := json.MarshalIndent(PoisonRecord{Name: obj.Name, Error: a.LastError, Attempts: a.Attempts, Time: a.Time}, "", "  ")
		if err := s.fs.WriteFile(ctx, PoisonDir+obj.Name+".error.json", rec, false); err != nil {
			return nil, true, err
		}
		return nil, true, errors.Join(s.fs.Remove(ctx, ProcessingDir+obj.Name+".attempts"), s.fs.Remove(ctx, claim))
	}
	data, _ := json.Marshal(a)
	if err := s.fs.WriteFile(ctx, ProcessingDir+obj.Name+".attempts", data, false); err != nil {
		return nil, false, err
	}
	return nil, false, s.fs.Remove(ctx, claim)
}

// Ordered implements driver.Source: files are independent.
func (s *Source) Ordered() bool { return false }

// ErrorCode implements driver.Source.
func (s *Source) ErrorCode(err error) driver.ErrorCode {
	if errors.Is(err, driver.ErrClaimed) {
		return driver.Claimed
	}
	if s.fs.IsNotExist(err) {
		return driver.NotFound
	}
	return s.fs.Code(err)
}

// Close implements driver.Source.
func (s *Source) Close() error { return s.fs.Close() }

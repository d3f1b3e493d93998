package hes

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/hes/driver"
)

// Areas of the inbound bucket. Landed objects are kept under their source's
// name: LandingPrefix + source + "/" + object name.
const (
	// LandingPrefix holds fetched objects, as received (the guidance's
	// data/landing/): typically gzip CSV, which mda.Ingest decompresses
	// into mda.InboundUncompressedPrefix.
	LandingPrefix = "inbound/landing/"
	// ProcessedPrefix receives landed objects once processed (the
	// guidance's data/processed/).
	ProcessedPrefix = "inbound/processed/"
	// PoisonPrefix receives landed objects that failed processing too
	// often, each with a ".error.json" object that says why.
	PoisonPrefix = "inbound/poison/"
	// StatePrefix holds each source's state, StatePrefix + name + ".json".
	StatePrefix = "inbound/_state/"
)

// LandingKey returns the key of object name of source in the inbound bucket.
func LandingKey(source, name string) string { return LandingPrefix + source + "/" + name }

// StateKey returns the key of source's state object.
func StateKey(source string) string { return StatePrefix + source + ".json" }

// State is a source's saved position, kept as JSON at StateKey. It is
// written after the object it accounts for is durable in the inbound
// bucket (and processed, with Pull), so that a crash at any moment loses
// nothing: the object is fetched again, to the same key.
type State struct {
	Source string `json:"source"`
	// Cursor is the driver's position (for the HTTP API: the watermark).
	Cursor json.RawMessage `json:"cursor,omitempty"`
	// Object is the last object acknowledged, and Updated when.
	Object  string    `json:"object,omitempty"`
	Updated time.Time `json:"updated"`
}

// ReadState reads source's state from the inbound bucket; a missing
// state is the zero State (with Source set).
func ReadState(ctx context.Context, inbound *blob.Bucket, source string) (State, error) {
	st := State{Source: source}
	data, err := inbound.ReadAll(ctx, StateKey(source))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return st, nil
	}
	if err != nil {
		return st, &Error{Code: ctxCode(ctx, Unavailable), Source: source, Op: "ReadState", Err: err}
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, &Error{Code: FailedPrecondition, Source: source, Op: "ReadState", Err: fmt.Errorf("%s: %w", StateKey(source), err)}
	}
	return st, nil
}

// ctxCode is Canceled if ctx is done, else c.
func ctxCode(ctx context.Context, c ErrorCode) ErrorCode {
	if ctx.Err() != nil {
		return Canceled
	}
	return c
}

func writeState(ctx context.Context, inbound *blob.Bucket, st State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := inbound.WriteAll(ctx, StateKey(st.Source), data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return &Error{Code: ctxCode(ctx, Unavailable), Source: st.Source, Op: "WriteState", Err: err}
	}
	return nil
}

// ProcessFunc processes one landed object, key in the inbound bucket; for
// example by calling mda.Ingest. It must be idempotent: after a crash the
// same object may be landed and processed again.
type ProcessFunc func(ctx context.Context, inbound *blob.Bucket, key string) error

// Faults stop a call at the moments that matter for exactly-once, as if
// the process died there: the call returns the hook's error at once,
// without releasing the object or saving the state. For tests and drills.
type Faults struct {
	// AfterLand runs when an object's copy is durable in the inbound bucket.
	AfterLand func(key string) error
	// BeforeAck runs when an object is landed and processed, before it is
	// acknowledged and the state saved.
	BeforeAck func(key string) error
}

// Options configures Fetch, Pull and Run. Nil means the defaults.
type Options struct {
	// Max is the most objects one call takes from the source; default 100.
	Max int
	// DeleteProcessed deletes a landed object once processed instead of
	// moving it under ProcessedPrefix.
	DeleteProcessed bool
	// Now is the clock of the state's Updated field; default time.Now.
	Now func() time.Time
	// Faults injects failures, for tests.
	Faults *Faults
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Max <= 0 {
		r.Max = 100
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Faults == nil {
		r.Faults = &Faults{}
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// Result describes one Pull.
type Result struct {
	// Landed are the keys landed, in order (under LandingPrefix; with a
	// process function they have since moved under ProcessedPrefix, or
	// been deleted).
	Landed []string
	// Empty counts objects without data (empty windows): acknowledged,
	// nothing landed.
	Empty int
	// Claimed counts objects skipped because another fetcher holds them.
	Claimed int
	// Failed counts objects whose attempt failed and that will be tried again.
	Failed int
	// Quarantined are the keys, under PoisonPrefix, of the objects
	// quarantined by this call.
	Quarantined []string
	// More reports that the source listed as many objects as Options.Max:
	// more may be waiting.
	More bool
}

// Fetch lands the source's new objects in the inbound bucket, under
// LandingKey(src.Name(), object), and acknowledges each once its copy is
// durable. It returns the keys landed. Objects without data land nothing
// but are acknowledged (an empty window moves the watermark). Processing
// the landed objects is up to the caller; see Pull to process them before
// they are acknowledged. On error Fetch returns what it landed so far; an
// ordered source (the HTTP API) stops at the first failure and resumes
// there on the next call.
func Fetch(ctx context.Context, src *Source, inbound *blob.Bucket, opts *Options) ([]string, error) {
	r, err := Pull(ctx, src, inbound, nil, opts)
	return r.Landed, err
}

// Pull lands the source's new objects like Fetch, and calls process for
// each landed object before acknowledging it: only then is the object
// archived or the watermark advanced, so that data reaches the caller at
// least once whatever fails, and a crash never skips an object. A
// processed object moves under ProcessedPrefix. An object whose processing
// fails is released and tried again by a later call; once the driver has
// counted too many failures it is quarantined: the landed copy moves
// under PoisonPrefix and the source moves on. A nil process makes Pull
// Fetch.
func Pull(ctx context.Context, src *Source, inbound *blob.Bucket, process ProcessFunc, opts *Options) (Result, error) {
	var res Result
	if err := src.checkOpen("Pull"); err != nil {
		return res, err
	}
	o := opts.withDefaults()
	st, err := ReadState(ctx, inbound, src.name)
	if err != nil {
		return res, err
	}
	objs, err := src.d.List(ctx, st.Cursor, o.Max)
	if err != nil {
		return res, src.wrap("List", "", err)
	}
	res.More = len(objs) >= o.Max
	var errs []error
	ordered := src.d.Ordered()
	save := func(cursor []byte, object string) error {
		if cursor == nil {
			return nil
		}
		st.Cursor = cursor
		st.Object = object
		st.Updated = o.Now().UTC()
		return writeState(ctx, inbound, st)
	}
	for _, obj := range objs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		stop, err := src.one(ctx, inbound, obj, process, &o, &res, save)
		if err != nil {
			errs = append(errs, err)
		}
		if stop || (err != nil && ordered) {
			break
		}
	}
	return res, errors.Join(errs...)
}

// crashed marks an error of a Faults hook: the call stops at once.
type crashed struct{ err error }

func (c crashed) Error() string { return c.err.Error() }
func (c crashed) Unwrap() error { return c.err }

// one handles one object; stop reports that the call must stop.
func (s *Source) one(ctx context.Context, inbound *blob.Bucket, obj *driver.Object, process ProcessFunc,
	o *Options, res *Result, save func([]byte, string) error) (stop bool, err error) {
	log := o.Logger.With("source", s.name, "object", obj.Name)
	rc, err := s.d.Open(ctx, obj)
	if err != nil {
		err = s.wrap("Open", obj.Name, err)
		if Code(err) == Claimed {
			res.Claimed++
			log.Debug("claimed by another fetcher")
			return false, nil
		}
		res.Failed++
		return false, s.release(ctx, obj, err, false, save)
	}
	key := LandingKey(s.name, obj.Name)
	landed, err := land(ctx, inbound, key, rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		res.Failed++
		return false, s.release(ctx, obj, s.wrap("Land", obj.Name, err), false, save)
	}
	if landed {
		log.Debug("landed", "key", key)
		if f := o.Faults.AfterLand; f != nil {
			if err := f(key); err != nil {
				return true, crashed{err}
			}
		}
	} else {
		res.Empty++
	}
	if landed && process != nil {
		if perr := process(ctx, inbound, key); perr != nil {
			if ctx.Err() != nil {
				return true, s.release(ctx, obj, &Error{Code: Canceled, Source: s.name, Op: "Process", Object: obj.Name, Err: perr}, false, save)
			}
			perr = &Error{Code: Processing, Source: s.name, Op: "Process", Object: obj.Name, Err: perr}
			cursor, quarantined, nerr := s.d.Nack(ctx, obj, perr, true)
			if nerr != nil {
				res.Failed++
				return false, errors.Join(perr, s.wrap("Nack", obj.Name, nerr))
			}
			if quarantined {
				pkey := PoisonPrefix + s.name + "/" + obj.Name
				if err := quarantine(ctx, inbound, key, pkey, perr, obj.Attempts+1, o.Now()); err != nil {
					return false, s.wrap("Quarantine", obj.Name, err)
				}
				res.Quarantined = append(res.Quarantined, pkey)
				log.Warn("quarantined", "key", pkey, "err", perr)
				return false, save(cursor, obj.Name)
			}
			res.Failed++
			if err := save(cursor, ""); err != nil {
				return false, errors.Join(perr, err)
			}
			return false, perr
		}
		if err := settle(ctx, inbound, key, ProcessedPrefix+s.name+"/"+obj.Name, o.DeleteProcessed); err != nil {
			res.Failed++
			return false, s.release(ctx, obj, s.wrap("Settle", obj.Name, err), false, save)
		}
	}
	if landed {
		res.Landed = append(res.Landed, key)
		if f := o.Faults.BeforeAck; f != nil {
			if err := f(key); err != nil {
				return true, crashed{err}
			}
		}
	}
	cursor, err := s.d.Ack(ctx, obj)
	if err != nil {
		return false, s.wrap("Ack", obj.Name, err)
	}
	return false, save(cursor, obj.Name)
}

// release gives an object back after a failure that is not its fault.
func (s *Source) release(ctx context.Context, obj *driver.Object, cause error, count bool, save func([]byte, string) error) error {
	cursor, _, err := s.d.Nack(context.WithoutCancel(ctx), obj, cause, count)
	if err != nil {
		return errors.Join(cause, s.wrap("Nack", obj.Name, err))
	}
	return errors.Join(cause, save(cursor, ""))
}

// land copies r to key; an empty r lands nothing and returns false.
func land(ctx context.Context, b *blob.Bucket, key string, r io.Reader) (bool, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(2)
	if len(head) == 0 {
		if err == io.EOF {
			return false, nil
		}
		return false, err
	}
	ct := "text/csv"
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		ct = "application/gzip"
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, key, &blob.WriterOptions{ContentType: ct, BufferSize: 8 << 20})
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(w, br); err != nil {
		cancel() // abandon the write: no partial object
		w.Close()
		return false, err
	}
	return true, w.Close()
}

// settle moves a processed landed object to dst (or deletes it).
func settle(ctx context.Context, b *blob.Bucket, key, dst string, del bool) error {
	if !del {
		if err := b.Copy(ctx, dst, key, nil); err != nil {
			return err
		}
	}
	if err := b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return err
	}
	return nil
}

// PoisonRecord is the ".error.json" object next to a quarantined object.
type PoisonRecord struct {
	Key      string    `json:"key"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts"`
	Time     time.Time `json:"time"`
}

func quarantine(ctx context.Context, b *blob.Bucket, key, pkey string, cause error, attempts int, now time.Time) error {
	if err := settle(ctx, b, key, pkey, false); err != nil {
		return err
	}
	rec, _ := json.MarshalIndent(PoisonRecord{Key: key, Error: cause.Error(), Attempts: attempts, Time: now.UTC()}, "", "  ")
	return b.WriteAll(ctx, pkey+".error.json", rec, &blob.WriterOptions{ContentType: "application/json"})
}

// RunOptions configures Run. Nil means the defaults.
type RunOptions struct {
	Options
	// Interval is the pause between pulls once the source is drained;
	// default 1 minute.
	Interval time.Duration
	// MinBackoff and MaxBackoff bound the pause after a failed pull,
	// which doubles with every failure in a row; defaults 1s and 5m.
	MinBackoff, MaxBackoff time.Duration
	// OnPull, if set, is called after every pull with its result and
	// error (nil or not).
	OnPull func(Result, error)
}

// Run pulls from src until ctx is done, processing every object with
// process (see Pull). A failed pull is retried after a backoff that grows
// to MaxBackoff; no error stops Run, so one failure never leaves a source
// dead (the guidance's downloader stopped for good after one error). It
// returns the context's error.
func Run(ctx context.Context, src *Source, inbound *blob.Bucket, process ProcessFunc, opts *RunOptions) error {
	var o RunOptions
	if opts != nil {
		o = *opts
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(5*time.Minute, o.MinBackoff)
	}
	backoff := o.MinBackoff
	for {
		res, err := Pull(ctx, src, inbound, process, &o.Options)
		if o.OnPull != nil {
			o.OnPull(res, err)
		}
		var c crashed
		if errors.As(err, &c) {
			return err
		}
		wait := o.Interval
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			wait = backoff
			backoff = min(2*backoff, o.MaxBackoff)
		case res.More || len(res.Landed)+res.Empty > 0 && res.Failed == 0:
			backoff = o.MinBackoff
			wait = 0
		default:
			backoff = o.MinBackoff
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

package sftpsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/hes/driver"
	"github.com/openmda/mda/hes/internal/folder"
)

// Scheme is the scheme registered on hes.DefaultURLMux.
const Scheme = "sftp"

func init() { hes.DefaultURLMux.RegisterSource(Scheme, new(URLOpener)) }

// Subdirectories of the folder.
const (
	ProcessingDir = folder.ProcessingDir
	ArchiveDir    = folder.ArchiveDir
	PoisonDir     = folder.PoisonDir
)

// Options configures an SFTP folder. A nil *Options, and every zero
// field, mean the defaults.
type Options struct {
	// ClaimTimeout is the age after which a claim is taken over, because
	// its fetcher must have died; default 15 minutes.
	ClaimTimeout time.Duration
	// MaxAttempts is how many failed processing attempts quarantine a
	// file in poison/; default 3.
	MaxAttempts int
	// DeleteAcked deletes acknowledged files instead of moving them to
	// archive/.
	DeleteAcked bool
	// Now is the clock of claims; default time.Now.
	Now func() time.Time
}

// New returns a source named name over the directory dir of an SFTP
// connection; it creates the folder's subdirectories. Closing the source
// does not close client.
func New(client *sftp.Client, dir, name string, opts *Options) (*hes.Source, error) {
	return newSource(client, nil, dir, name, opts)
}

func newSource(client *sftp.Client, closer io.Closer, dir, name string, opts *Options) (*hes.Source, error) {
	fs := &sftpFS{c: client, root: path.Clean(dir), closer: closer} // Clean("") is "."
	for _, d := range []string{ProcessingDir, ArchiveDir, PoisonDir} {
		if err := client.MkdirAll(path.Join(fs.root, d)); err != nil {
			return nil, &hes.Error{Code: hes.Unavailable, Source: name, Op: "New", Err: fmt.Errorf("mkdir %s: %w", path.Join(fs.root, d), err)}
		}
	}
	var fo *folder.Options
	if opts != nil {
		fo = &folder.Options{ClaimTimeout: opts.ClaimTimeout, MaxAttempts: opts.MaxAttempts, DeleteAcked: opts.DeleteAcked, Now: opts.Now}
	}
	return hes.NewSource(folder.New(fs, fo), name)
}

// URLOpener opens SFTP folders from URLs of the form
//
//	sftp://user@host:22/outbox?key=/home/me/.ssh/id_ed25519
//
// The path is the directory (relative to the login directory unless it
// starts with "//"). Parameters: key, a private key file (OpenSSH or PEM;
// key_passphrase_env names a variable with its passphrase); password_env,
// a variable holding a password; known_hosts, the known hosts file
// (default ~/.ssh/known_hosts); insecure_ignore_host_key=true skips the
// host key check (for tests only: the guidance's paramiko AutoAddPolicy
// accepts any host); timeout, the dial timeout (default 30s); and
// claim_timeout, max_attempts, delete and name as in package dropsource.
type URLOpener struct {
	Options Options
	// HostKeyCallback, if set, checks host keys instead of known_hosts.
	HostKeyCallback ssh.HostKeyCallback
}

// OpenSourceURL implements hes.SourceURLOpener.
func (o *URLOpener) OpenSourceURL(ctx context.Context, u *url.URL) (*hes.Source, error) {
	opts := o.Options
	q := u.Query()
	bad := func(k string, err error) error {
		return &hes.Error{Code: hes.InvalidArgument, Op: "OpenSource", Err: fmt.Errorf("%s: %s: %w", u.Redacted(), k, err)}
	}
	for k := range q {
		switch k {
		case "key", "key_passphrase_env", "password_env", "known_hosts", "insecure_ignore_host_key", "timeout", "name":
		default:
			if !slices.Contains(folder.QueryParams, k) {
				return nil, bad(k, errors.New("unknown parameter"))
			}
		}
	}
	fo := folder.Options{ClaimTimeout: opts.ClaimTimeout, MaxAttempts: opts.MaxAttempts, DeleteAcked: opts.DeleteAcked}
	if k, err := fo.ParseQuery(q); err != nil {
		return nil, bad(k, err)
	}
	opts.ClaimTimeout, opts.MaxAttempts, opts.DeleteAcked = fo.ClaimTimeout, fo.MaxAttempts, fo.DeleteAcked
	if u.User == nil || u.User.Username() == "" {
		return nil, bad("user", errors.New("no user in URL (sftp://user@host/dir)"))
	}
	cfg := &ssh.ClientConfig{User: u.User.Username(), Timeout: 30 * time.Second}
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, bad("timeout", err)
		}
		cfg.Timeout = d
	}
	if k := q.Get("key"); k != "" {
		pem, err := os.ReadFile(k)
		if err != nil {
			return nil, bad("key", err)
		}
		var signer ssh.Signer
		if env := q.Get("key_passphrase_env"); env != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(os.Getenv(env)))
		} else {
			signer, err = ssh.ParsePrivateKey(pem)
		}
		if err != nil {
			return nil, bad("key", err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if env := q.Get("password_env"); env != "" {
		pw, ok := os.LookupEnv(env)
		if !ok {
			return nil, bad("password_env", fmt.Errorf("environment variable %s is not set", env))
		}
		cfg.Auth = append(cfg.Auth, ssh.Password(pw))
	}
	if len(cfg.Auth) == 0 {
		return nil, bad("key", errors.New("no credentials: set key= or password_env="))
	}
	switch {
	case o.HostKeyCallback != nil:
		cfg.HostKeyCallback = o.HostKeyCallback
	case q.Get("insecure_ignore_host_key") == "true":
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	default:
		kh := q.Get("known_hosts")
		if kh == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, bad("known_hosts", err)
			}
			kh = filepath.Join(home, ".ssh", "known_hosts")
		}
		cb, err := knownhosts.New(kh)
		if err != nil {
			return nil, bad("known_hosts", err)
		}
		cfg.HostKeyCallback = cb
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "22")
	}
	d := net.Dialer{Timeout: cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, &hes.Error{Code: hes.Unavailable, Op: "OpenSource", Err: err}
	}
	conn, chans, reqs, err := ssh.NewClientConn(nc, host, cfg)
	if err != nil {
		nc.Close()
		return nil, &hes.Error{Code: hes.PermissionDenied, Op: "OpenSource", Err: fmt.Errorf("ssh %s: %w", host, err)}
	}
	sc := ssh.NewClient(conn, chans, reqs)
	client, err := sftp.NewClient(sc)
	if err != nil {
		sc.Close()
		return nil, &hes.Error{Code: hes.Unavailable, Op: "OpenSource", Err: fmt.Errorf("sftp %s: %w", host, err)}
	}
	dir := u.Path
	if len(dir) > 1 && dir[0] == '/' && dir[1] != '/' {
		dir = dir[1:] // relative to the login directory
	}
	src, err := newSource(client, closers{client, sc}, dir, hes.NameFromURL(u), &opts)
	if err != nil {
		client.Close()
		sc.Close()
		return nil, err
	}
	return src, nil
}

type closers []io.Closer

func (c closers) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}

// sftpFS is a folder.FS over an SFTP directory.
type sftpFS struct {
	c      *sftp.Client
	root   string
	closer io.Closer
}

func (f *sftpFS) p(name string) string { return path.Join(f.root, name) }

func (f *sftpFS) List(ctx context.Context, dir string) ([]folder.Entry, error) {
	infos, err := f.c.ReadDirContext(ctx, f.p(dir))
	if err != nil {
		return nil, err
	}
	var out []folder.Entry
	for _, fi := range infos {
		if fi.Mode().IsRegular() {
			out = append(out, folder.Entry{Name: fi.Name(), Size: fi.Size()})
		}
	}
	return out, nil
}

func (f *sftpFS) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	return f.c.Open(f.p(name))
}

func (f *sftpFS) Stat(ctx context.Context, name string) (int64, time.Time, error) {
	fi, err := f.c.Stat(f.p(name))
	if err != nil {
		return 0, time.Time{}, err
	}
	return fi.Size(), fi.ModTime(), nil
}

func (f *sftpFS) ReadFile(ctx context.Context, name string) ([]byte, error) {
	r, err := f.c.Open(f.p(name))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (f *sftpFS) WriteFile(ctx context.Context, name string, data []byte, exclusive bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if exclusive {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	w, err := f.c.OpenFile(f.p(name), flags)
	// SFTP v3 has no "already exists" status (servers answer a generic
	// failure), so an exclusive create that fails looks at the file. If it
	// is gone by then, another writer removed it between our two calls:
	// try again rather than report a failure that is not one.
	for try := 0; err != nil && exclusive && try < 3; try++ {
		_, serr := f.c.Stat(f.p(name))
		if serr == nil {
			return fmt.Errorf("%s: %w", f.p(name), os.ErrExist)
		}
		if !errors.Is(serr, os.ErrNotExist) {
			return err
		}
		w, err = f.c.OpenFile(f.p(name), flags)
	}
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func (f *sftpFS) Move(ctx context.Context, src, dst string) error {
	if err := f.c.PosixRename(f.p(src), f.p(dst)); err == nil {
		return nil
	}
	// Without the posix-rename extension, rename fails if dst exists.
	if err := f.Remove(ctx, dst); err != nil {
		return err
	}
	return f.c.Rename(f.p(src), f.p(dst))
}

func (f *sftpFS) Remove(ctx context.Context, name string) error {
	if err := f.c.Remove(f.p(name)); err != nil && !f.IsNotExist(err) {
		return err
	}
	return nil
}

func (f *sftpFS) IsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
func (f *sftpFS) IsExist(err error) bool    { return errors.Is(err, os.ErrExist) }

func (f *sftpFS) Code(err error) driver.ErrorCode {
	var se *sftp.StatusError
	switch {
	case errors.Is(err, os.ErrNotExist):
		return driver.NotFound
	case errors.Is(err, os.ErrPermission):
		return driver.PermissionDenied
	case errors.Is(err, sftp.ErrSSHFxConnectionLost), errors.Is(err, sftp.ErrSSHFxNoConnection), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return driver.Unavailable
	case errors.As(err, &se):
		return driver.Unknown
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return driver.Unavailable
	}
	return driver.Unknown
}

func (f *sftpFS) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

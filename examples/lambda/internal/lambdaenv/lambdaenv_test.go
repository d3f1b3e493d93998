package lambdaenv

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestEnv(t *testing.T) {
	vars := map[string]string{"N": "8", "BAD_N": "0", "B": "4MiB", "B10": "300MB", "PLAIN": "4096",
		"BAD_B": "lots", "D": "90s", "BAD_D": "-1s", "S": "  x  "}
	tests := []struct {
		name    string
		get     func(e *Env) any
		want    any
		wantErr string
	}{
		{"int", func(e *Env) any { return e.Int("N", 1) }, 8, ""},
		{"int default", func(e *Env) any { return e.Int("UNSET", 150) }, 150, ""},
		{"int not positive", func(e *Env) any { return e.Int("BAD_N", 3) }, 3, `BAD_N="0": want a positive integer`},
		{"bytes binary", func(e *Env) any { return e.Bytes("B", 0) }, int64(4 << 20), ""},
		{"bytes decimal", func(e *Env) any { return e.Bytes("B10", 0) }, int64(300e6), ""},
		{"bytes plain", func(e *Env) any { return e.Bytes("PLAIN", 0) }, int64(4096), ""},
		{"bytes bad", func(e *Env) any { return e.Bytes("BAD_B", 7) }, int64(7), `BAD_B="lots"`},
		{"duration", func(e *Env) any { return e.Duration("D", 0) }, 90 * time.Second, ""},
		{"duration negative", func(e *Env) any { return e.Duration("BAD_D", time.Minute) }, time.Minute, `BAD_D="-1s"`},
		{"trimmed", func(e *Env) any { return e.Get("S") }, "x", ""},
		{"required", func(e *Env) any { return e.Required("UNSET", "the thing") }, "", "UNSET is not set (the thing)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Map(vars))
			if got := tc.get(e); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			err := e.Err()
			if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestLockTTL(t *testing.T) {
	if got := LockTTL(context.Background(), 10*time.Minute); got != 10*time.Minute {
		t.Errorf("no deadline: %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Minute)
	defer cancel()
	if got := LockTTL(ctx, 10*time.Minute); got < 14*time.Minute || got > 15*time.Minute {
		t.Errorf("14 minutes left: lock TTL %v, want the time left and a margin", got)
	}
}

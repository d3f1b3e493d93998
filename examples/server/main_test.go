package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openmda/mda/examples/server/web"
)

func TestRefusesPublicAddressWithoutKey(t *testing.T) {
	t.Setenv("MDA_API_KEYS", "")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--lake", "mem://", "--addr", "0.0.0.0:0"}, &stderr)
	if !errors.Is(err, web.ErrNoKey) {
		t.Fatalf("err %v, want ErrNoKey", err)
	}
}

func TestServesUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // shut down as soon as it listens
	var stderr bytes.Buffer
	if err := run(ctx, []string{"--lake", "mem://", "--addr", "127.0.0.1:0"}, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "open http://127.0.0.1:") {
		t.Errorf("stderr %q", stderr.String())
	}
}

package dropsource_test

import (
	"context"
	"strings"
	"testing"

	"github.com/openmda/mda/hes"
	_ "github.com/openmda/mda/hes/dropsource"
)

// TestOpenSourceURL checks the folder parameters of drop folder URLs: good
// values open, a bad one is an InvalidArgument naming the parameter.
func TestOpenSourceURL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		url, badParam string
	}{
		{"drop+file://" + dir + "?claim_timeout=30m&max_attempts=5&delete=true&name=d1", ""},
		{"drop+mem://?max_attempts=2", ""},
		{"drop+file://" + dir + "?claim_timeout=soon", "claim_timeout"},
		{"drop+mem://?max_attempts=many", "max_attempts"},
		{"drop+mem://?delete=perhaps", "delete"},
	} {
		src, err := hes.OpenSource(ctx, tc.url)
		if tc.badParam == "" {
			if err != nil {
				t.Errorf("OpenSource(%q): %v", tc.url, err)
				continue
			}
			src.Close()
			continue
		}
		if hes.Code(err) != hes.InvalidArgument || !strings.Contains(err.Error(), tc.badParam) {
			t.Errorf("OpenSource(%q) = %v; want InvalidArgument about %s", tc.url, err, tc.badParam)
		}
	}
}

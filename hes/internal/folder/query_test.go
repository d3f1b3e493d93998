package folder

import (
	"net/url"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseQuery(t *testing.T) {
	base := Options{ClaimTimeout: time.Minute, MaxAttempts: 2}
	for _, tc := range []struct {
		query   string
		want    Options
		badName string
	}{
		{"", base, ""},
		{"claim_timeout=30m&max_attempts=5&delete=true", Options{ClaimTimeout: 30 * time.Minute, MaxAttempts: 5, DeleteAcked: true}, ""},
		{"delete=false&other=x", base, ""},
		{"claim_timeout=soon", base, "claim_timeout"},
		{"max_attempts=many", base, "max_attempts"},
		{"delete=perhaps", base, "delete"},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		o := base
		name, err := o.ParseQuery(q)
		if name != tc.badName || (err != nil) != (tc.badName != "") {
			t.Errorf("ParseQuery(%q) = %q, %v; want a failure on %q", tc.query, name, err, tc.badName)
			continue
		}
		if err == nil {
			if diff := gocmp.Diff(tc.want, o, cmpopts.IgnoreFields(Options{}, "Now")); diff != "" {
				t.Errorf("ParseQuery(%q) (-want +got):\n%s", tc.query, diff)
			}
		}
	}
}

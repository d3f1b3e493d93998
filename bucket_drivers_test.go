package mda_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda"
)

// TestOpenBucketCloudSchemes: built with -tags cloudblob, gs:// and
// azblob:// have drivers, so --lake takes them; without the tag, opening
// them says which tag they need. The environment points both at local
// endpoints that nothing listens on (STORAGE_EMULATOR_HOST; an
// Azurite-style account on 127.0.0.1:1), so that opening needs no
// credentials and no network (no GCE metadata probe, no Azure identity
// lookup); the test only opens, and makes no request.
func TestOpenBucketCloudSchemes(t *testing.T) {
	for k, v := range map[string]string{
		"STORAGE_EMULATOR_HOST":           "127.0.0.1:1",
		"GOOGLE_APPLICATION_CREDENTIALS":  "/nonexistent/credentials.json",
		"AZURE_STORAGE_ACCOUNT":           "devstoreaccount1",
		"AZURE_STORAGE_KEY":               "a2V5",
		"AZURE_STORAGE_PROTOCOL":          "http",
		"AZURE_STORAGE_DOMAIN":            "127.0.0.1:1",
		"AZURE_STORAGE_IS_LOCAL_EMULATOR": "true",
		"AZURE_STORAGE_SAS_TOKEN":         "",
		"AZURE_STORAGE_CONNECTION_STRING": "",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const unknown = "no driver registered"
	if _, err := mda.OpenBucket(ctx, "nosuch://b"); err == nil || !strings.Contains(err.Error(), unknown) {
		t.Fatalf("nosuch://b: %v, want %q (the error this test tells apart)", err, unknown)
	}
	// Without the cloudblob build tag, the schemes say which tag they need.
	tagged := blob.DefaultURLMux().ValidBucketScheme("gs")
	for _, u := range []string{"gs://b", "azblob://b"} {
		b, err := mda.OpenBucket(ctx, u)
		switch {
		case !tagged && (err == nil || !strings.Contains(err.Error(), "-tags "+mda.CloudBlobTag)):
			t.Errorf("%s without -tags %s: %v, want an error naming the tag", u, mda.CloudBlobTag, err)
		case tagged && err != nil:
			t.Errorf("%s: %v", u, err)
		case err == nil:
			b.Close()
		}
	}
}

package handler

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/dataflow"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/grid/topology"
)

// Prefixes of the inbound bucket that the dataflow function loads.
const (
	// WeatherPrefix holds Meteostat hourly CSV files, as
	// weather/<station>/<name>.csv (the station of a file without a
	// station column) or weather/<name>.csv.
	WeatherPrefix = "weather/"
	// TopologyPrefix holds topology sets, each the guidance's JSON files
	// under topology/<set>/ (<table>.json or <table>/<table>.json).
	TopologyPrefix = "topology/"
)

// Dataflow is the weather and topology loader: for every object created
// under WeatherPrefix or TopologyPrefix of the inbound bucket (template.yaml's
// rule), it runs the weather or the topology flow of package dataflow
// into the lake and registers what it wrote in the catalog. It replaces
// the guidance's weather Glue workflow (crawler, job, crawler) and its
// topology state machine (crawler, transformer Lambda, crawler), which
// loaded the topology once, at deploy, with no way to update it.
//
// A weather file replaces the hours it holds: a later load of the same
// station and hour wins. Later means processed later: events are not
// ordered, so a forecast and the observations of the same hours should
// not be dropped together. A file's station is the first folder under
// WeatherPrefix; a file right under it needs a station column.
//
// A topology set is loaded whole, from all its files, each time one of
// them arrives once the four tables it cannot do without (substation,
// distribution and service transformers, smart meters) are there: the
// last file to arrive loads the complete set, and one run at a time
// (reserved concurrency 1) keeps loads from interleaving. While a set is
// being uploaded, a load before its optional tables (power grid,
// locations, voltage control zones) arrive leaves them empty for the
// moment. The lake holds one topology: a set replaces the tables the last
// one wrote, whatever its folder's name. The reads check of the topology
// flow (its meters against the lake's kW reads) is left to "mda dataflow
// topology": on a real lake it would scan every read at every file.
type Dataflow struct {
	Lake, Inbound *blob.Bucket
	// BucketName is the inbound bucket's name; events for another bucket
	// are refused.
	BucketName string
	// Registrar, if set, registers the tables and partitions written.
	Registrar *catalog.Registrar
	Logger    *slog.Logger
}

// NewDataflow wires a Dataflow from the environment:
//
//	LAKE_URL, INBOUND_URL  the lake and inbound buckets (required)
//	MDA_CATALOG_URL, MDA_CATALOG_LOCATION  as for the integrator; the
//	                weather and topology tables go to the catalog's
//	                database (mda_database_integrated in template.yaml)
func NewDataflow(ctx context.Context, env *lambdaenv.Env, logger *slog.Logger) (*Dataflow, error) {
	lakeURL := env.Required("LAKE_URL", "the lake bucket, s3://<bucket>?region=<region>")
	inboundURL := env.Required("INBOUND_URL", "the inbound bucket, s3://<bucket>?region=<region>")
	catURL, catLoc := catalogEnv(env, lakeURL)
	if err := env.Err(); err != nil {
		return nil, err
	}
	u, err := url.Parse(inboundURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("INBOUND_URL %q: want <scheme>://<bucket>", inboundURL)
	}
	inbound, err := lambdaenv.OpenBucket(ctx, "INBOUND_URL", inboundURL)
	if err != nil {
		return nil, err
	}
	lake, reg, err := openLakeAndRegistrar(ctx, lakeURL, catURL, catLoc)
	if err != nil {
		inbound.Close()
		return nil, err
	}
	return &Dataflow{Lake: lake, Inbound: inbound, BucketName: u.Host, Registrar: reg, Logger: logger}, nil
}

// DataflowResult is the function's response, and the fields of its log
// line.
type DataflowResult struct {
	Key  string `json:"key"`
	Flow string `json:"flow,omitempty"`
	// Skipped says why nothing was loaded, if nothing was.
	Skipped string `json:"skipped,omitempty"`
	// Rows counts the rows of the files written (a weather day file holds
	// every station's hours of the day); Tables the tables registered.
	Rows      int64    `json:"rows"`
	Tables    []string `json:"tables,omitempty"`
	ElapsedMS int64    `json:"elapsed_ms"`
}

// Handle loads what the EventBridge "Object Created" event names.
func (d *Dataflow) Handle(ctx context.Context, ev events.EventBridgeEvent) (DataflowResult, error) {
	t0 := time.Now()
	res := DataflowResult{}
	obj, err := parseObjectCreated(ev)
	if err != nil {
		return res, fmt.Errorf("dataflow: %w", err)
	}
	if obj.Bucket.Name != d.BucketName {
		return DataflowResult{}, fmt.Errorf("dataflow: event for bucket %q, but this function serves %q (INBOUND_URL)", obj.Bucket.Name, d.BucketName)
	}
	// Keys may arrive URL-encoded, as in S3 notifications.
	key, _, err := resolveKey(ctx, d.Inbound, obj.Object.Key)
	switch {
	case gcerrors.Code(err) == gcerrors.NotFound:
		res = DataflowResult{Key: key, Skipped: "gone"} // deleted since: a later event has its successor
		err = nil
	case err != nil:
		err = fmt.Errorf("dataflow: %s: %w", key, err)
	default:
		res, err = d.load(ctx, key)
	}
	res.ElapsedMS = time.Since(t0).Milliseconds()
	attrs := []any{"key", res.Key, "flow", res.Flow, "skipped", res.Skipped, "rows", res.Rows, "tables", res.Tables, "elapsed_ms", res.ElapsedMS}
	if err != nil {
		d.Logger.Error("dataflow failed", append(attrs, "err", err)...)
		return res, err
	}
	d.Logger.Info("dataflow", attrs...)
	return res, nil
}

func (d *Dataflow) load(ctx context.Context, key string) (DataflowResult, error) {
	res := DataflowResult{Key: key}
	var opts dataflow.RunOptions
	opts.Register = func(ctx context.Context, w dataflow.Written) error {
		res.Rows += w.Rows
		if d.Registrar == nil {
			return nil
		}
		if err := d.Registrar.RegisterDataflow(ctx, w); err != nil {
			return err
		}
		res.Tables = append(res.Tables, w.Table)
		return nil
	}
	switch {
	case strings.HasSuffix(key, "/"):
		res.Skipped = "folder marker"
		return res, nil
	case !fs.ValidPath(key):
		res.Skipped = "not a valid path (empty, . or .. elements)"
		return res, nil
	case strings.HasPrefix(key, WeatherPrefix):
		res.Flow = "weather"
		if !strings.HasSuffix(strings.ToLower(key), ".csv") {
			res.Skipped = "not a .csv file"
			return res, nil
		}
		station := ""
		if parts := strings.Split(strings.TrimPrefix(key, WeatherPrefix), "/"); len(parts) >= 2 {
			station = parts[0]
		}
		flow := dataflow.NewWeatherFlow(&dataflow.WeatherOptions{Files: []string{key}, Station: station})
		return res, dataflow.Run(ctx, flow, bucketFS{ctx, d.Inbound, ""}, d.Lake, &opts)
	case strings.HasPrefix(key, TopologyPrefix):
		res.Flow = "topology"
		set, _, ok := strings.Cut(strings.TrimPrefix(key, TopologyPrefix), "/")
		if !ok || set == "" {
			res.Skipped = "not in a topology set (topology/<set>/...)"
			return res, nil
		}
		dir := TopologyPrefix + set
		if missing, err := d.missingTables(ctx, dir); err != nil || len(missing) > 0 {
			if err == nil {
				res.Skipped = "waiting for " + strings.Join(missing, ", ")
			}
			return res, err
		}
		flow := dataflow.NewTopologyFlow(&dataflow.TopologyOptions{SkipReadsCheck: true})
		err := dataflow.Run(ctx, flow, bucketFS{ctx, d.Inbound, dir}, d.Lake, &opts)
		if err == nil {
			rep := flow.Report()
			d.Logger.Info("topology loaded", "set", set, "counts", rep.Counts, "issues", len(rep.Issues))
		}
		return res, err
	}
	res.Skipped = "neither " + WeatherPrefix + " nor " + TopologyPrefix
	return res, nil
}

// missingTables returns the tables a topology set cannot do without that
// dir does not hold yet.
func (d *Dataflow) missingTables(ctx context.Context, dir string) ([]string, error) {
	var missing []string
	for _, name := range topology.RequiredTables() {
		found := false
		for _, k := range []string{dir + "/" + name + ".json", dir + "/" + name + "/" + name + ".json"} {
			ok, err := d.Inbound.Exists(ctx, k)
			if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return nil, fmt.Errorf("dataflow: %s: %w", k, err)
			}
			found = found || ok
		}
		if !found {
			missing = append(missing, path.Base(name))
		}
	}
	return missing, nil
}

// bucketFS is directory dir ("" for the root) of a bucket as an fs.FS
// whose files are read with the invocation's context. Not the bucket's own
// io/fs support: its Sub makes a PrefixedBucket, which closes the bucket
// it is made from, and its Open reports any error of its existence check
// as fs.ErrNotExist, which would make a transient failure an absent
// (optional) topology table. Only a real not-found is fs.ErrNotExist here.
type bucketFS struct {
	ctx context.Context
	b   *blob.Bucket
	dir string
}

func (f bucketFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	key := name
	if f.dir != "" {
		key = path.Join(f.dir, name)
	}
	r, err := f.b.NewReader(f.ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &blobFile{r: r, name: path.Base(name)}, nil
}

// blobFile is an object open for reading, as an fs.File.
type blobFile struct {
	r    *blob.Reader
	name string
}

func (f *blobFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *blobFile) Close() error               { return f.r.Close() }
func (f *blobFile) Stat() (fs.FileInfo, error) {
	return blobInfo{f.name, f.r.Size(), f.r.ModTime()}, nil
}

type blobInfo struct {
	name string
	size int64
	mod  time.Time
}

func (i blobInfo) Name() string       { return i.name }
func (i blobInfo) Size() int64        { return i.size }
func (i blobInfo) Mode() fs.FileMode  { return 0o444 }
func (i blobInfo) ModTime() time.Time { return i.mod }
func (i blobInfo) IsDir() bool        { return false }
func (i blobInfo) Sys() any           { return nil }

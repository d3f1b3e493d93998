package topology

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/openmda/mda/tables"
)

// ErrNoTopology is returned (wrapped) when a source or lake holds no
// topology (no smart_meter table).
var ErrNoTopology = errors.New("topology: no topology found")

// requiredTables must be present in a source.
var requiredTables = []string{TableSubstation, TableDistributionTransformer, TableServiceTransformer, TableSmartMeter}

// RequiredTables returns the tables that ReadJSON cannot do without; the
// others (power grid, locations, voltage control zones) may be absent.
func RequiredTables() []string { return slices.Clone(requiredTables) }

// ReadJSON reads the guidance's topology files from directory dir of fsys:
// for each table, dir/<table>.json or, as the guidance stages them,
// dir/<table>/<table>.json, a JSON array of objects with the guidance's
// keys. smart_meter, service_transformer, distribution_transformer and
// substation are required; the other tables may be missing. Unknown keys
// are ignored. The result is normalized (capacities parsed).
func ReadJSON(fsys fs.FS, dir string) (*Topology, error) {
	if dir == "" {
		dir = "."
	}
	t := &Topology{}
	for _, name := range TableNames {
		data, err := readTableFile(fsys, dir, name)
		if errors.Is(err, fs.ErrNotExist) {
			for _, r := range requiredTables {
				if r == name {
					return nil, fmt.Errorf("%w: %s.json is not in %s", ErrNoTopology, name, dir)
				}
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("topology: reading %s: %w", name, err)
		}
		if err := t.decodeTable(name, data); err != nil {
			return nil, err
		}
	}
	return t.Normalize(), nil
}

func readTableFile(fsys fs.FS, dir, name string) ([]byte, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, name+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		data, err = fs.ReadFile(fsys, path.Join(dir, name, name+".json"))
	}
	return data, err
}

func (t *Topology) decodeTable(name string, data []byte) error {
	var err error
	switch name {
	case TablePowerGrid:
		err = json.Unmarshal(data, &t.PowerGrids)
	case TableSubstation:
		err = json.Unmarshal(data, &t.Substations)
	case TableDistributionTransformer:
		err = json.Unmarshal(data, &t.DistributionTransformers)
	case TableServiceTransformer:
		err = json.Unmarshal(data, &t.ServiceTransformers)
	case TableSmartMeter:
		err = json.Unmarshal(data, &t.SmartMeters)
	case TableLocation:
		err = json.Unmarshal(data, &t.Locations)
	case TableVoltageControlZone:
		err = json.Unmarshal(data, &t.VoltageControlZones)
	default:
		return fmt.Errorf("topology: unknown table %q", name)
	}
	if err != nil {
		return fmt.Errorf("topology: decoding %s.json: %w", name, err)
	}
	return nil
}

// EncodeJSON writes the named table as the guidance's JSON array, one
// object per line.
func (t *Topology) EncodeJSON(w io.Writer, table string) error {
	rows, ok := t.Rows(table)
	if !ok {
		return fmt.Errorf("topology: unknown table %q", table)
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("topology: encoding %s: %w", table, err)
	}
	// One object per line: diff- and grep-friendly, still a JSON array.
	b = bytes.ReplaceAll(b, []byte("},{"), []byte("},\n{"))
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("topology: writing %s: %w", table, err)
	}
	return nil
}

// WriteJSONDir writes every table to dir/<table>.json, creating dir.
func (t *Topology) WriteJSONDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("topology: %w", err)
	}
	for _, name := range TableNames {
		var buf bytes.Buffer
		if err := t.EncodeJSON(&buf, name); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("topology: %w", err)
		}
	}
	return nil
}

// FileName is the name of a table's file in its lake directory:
// tables.TopologyDir(table)+FileName(table).
func FileName(table string) string { return table + ".parquet" }

// WriteLake writes every table as one Snappy-compressed Parquet file
// (coordinates and capacity_kva optional DOUBLE columns, NULL for NaN),
// tables.TopologyDir(table)+FileName(table), and then deletes the other
// Parquet files of those directories, so that the lake holds exactly t.
// Each file appears atomically (a blob write is visible only when
// complete); a reader between two tables may see the old and the new
// topology mixed.
func (t *Topology) WriteLake(ctx context.Context, b *blob.Bucket) error {
	for _, name := range TableNames {
		var buf bytes.Buffer
		var err error
		switch name {
		case TablePowerGrid:
			err = writeParquet(&buf, t.PowerGrids)
		case TableSubstation:
			err = writeParquet(&buf, t.Substations)
		case TableDistributionTransformer:
			err = writeParquet(&buf, convert(t.DistributionTransformers, storeDistributionTransformer))
		case TableServiceTransformer:
			err = writeParquet(&buf, convert(t.ServiceTransformers, storeServiceTransformer))
		case TableSmartMeter:
			err = writeParquet(&buf, t.SmartMeters)
		case TableLocation:
			err = writeParquet(&buf, convert(t.Locations, storeLocation))
		case TableVoltageControlZone:
			err = writeParquet(&buf, t.VoltageControlZones)
		}
		if err != nil {
			return fmt.Errorf("topology: encoding %s: %w", name, err)
		}
		key := tables.TopologyDir(name) + FileName(name)
		if err := b.WriteAll(ctx, key, buf.Bytes(), &blob.WriterOptions{ContentType: "application/vnd.apache.parquet"}); err != nil {
			return fmt.Errorf("topology: writing %s: %w", key, err)
		}
		files, err := listParquet(ctx, b, tables.TopologyDir(name))
		if err != nil {
			return err
		}
		for _, f := range files {
			if f != key {
				if err := b.Delete(ctx, f); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
					return fmt.Errorf("topology: deleting %s: %w", f, err)
				}
			}
		}
	}
	return nil
}

func writeParquet[T any](w io.Writer, rows []T) error {
	pw := parquet.NewGenericWriter[T](w, parquet.Compression(&parquet.Snappy), parquet.CreatedBy("openmda", "", ""))
	if _, err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

// listParquet returns the visible Parquet files directly under dir.
func listParquet(ctx context.Context, b *blob.Bucket, dir string) ([]string, error) {
	it := b.List(&blob.ListOptions{Prefix: dir, Delimiter: "/"})
	var out []string
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("topology: listing %s: %w", dir, err)
		}
		name := strings.TrimPrefix(obj.Key, dir)
		if obj.IsDir || name == "" || name[0] == '.' || name[0] == '_' || !strings.HasSuffix(name, ".parquet") {
			continue
		}
		out = append(out, obj.Key)
	}
}

// ReadLake reads the topology tables from the lake: every Parquet file
// under tables.TopologyDir(table), in name order. Missing optional tables
// are empty; a lake without smart_meter files gives ErrNoTopology. Files
// written by other engines are read by column name; the capacity_kva
// column is recomputed from capacity. A NULL coordinate (or NaN, as files
// written before the columns were optional hold) is NaN.
func ReadLake(ctx context.Context, b *blob.Bucket) (*Topology, error) {
	t := &Topology{}
	for _, name := range TableNames {
		files, err := listParquet(ctx, b, tables.TopologyDir(name))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 && name == TableSmartMeter {
			return nil, fmt.Errorf("%w in the lake (%s)", ErrNoTopology, tables.TopologyDir(name))
		}
		for _, f := range files {
			data, err := b.ReadAll(ctx, f)
			if err != nil {
				return nil, fmt.Errorf("topology: reading %s: %w", f, err)
			}
			if err := t.appendParquet(name, data); err != nil {
				return nil, fmt.Errorf("topology: decoding %s: %w", f, err)
			}
		}
	}
	return t.Normalize(), nil
}

func (t *Topology) appendParquet(name string, data []byte) error {
	r := bytes.NewReader(data)
	n := int64(len(data))
	var err error
	switch name {
	case TablePowerGrid:
		t.PowerGrids, err = appendRead(t.PowerGrids, r, n)
	case TableSubstation:
		t.Substations, err = appendRead(t.Substations, r, n)
	case TableDistributionTransformer:
		t.DistributionTransformers, err = appendReadStored(t.DistributionTransformers, r, n, (*distributionTransformerRow).record)
	case TableServiceTransformer:
		t.ServiceTransformers, err = appendReadStored(t.ServiceTransformers, r, n, (*serviceTransformerRow).record)
	case TableSmartMeter:
		t.SmartMeters, err = appendRead(t.SmartMeters, r, n)
	case TableLocation:
		t.Locations, err = appendReadStored(t.Locations, r, n, (*locationRow).record)
	case TableVoltageControlZone:
		t.VoltageControlZones, err = appendRead(t.VoltageControlZones, r, n)
	}
	return err
}

func appendRead[T any](dst []T, r io.ReaderAt, n int64) ([]T, error) {
	rows, err := parquet.Read[T](r, n)
	if err != nil {
		return dst, err
	}
	return append(dst, rows...), nil
}

func appendReadStored[S, T any](dst []T, r io.ReaderAt, n int64, record func(*S) T) ([]T, error) {
	rows, err := parquet.Read[S](r, n)
	if err != nil {
		return dst, err
	}
	for i := range rows {
		dst = append(dst, record(&rows[i]))
	}
	return dst, nil
}

func convert[T, S any](rows []T, f func(*T) S) []S {
	out := make([]S, len(rows))
	for i := range rows {
		out[i] = f(&rows[i])
	}
	return out
}

// The rows of the tables with numbers that may be missing, as stored: the
// columns of the records, in order, with the numbers optional DOUBLE,
// NULL where the record holds NaN, so that engines' AVG and IS NULL see
// a missing value. Pointers, because parquet-go's optional tag on a
// float64 writes 0 as NULL, and 0° is a coordinate.

type distributionTransformerRow struct {
	ID                   string   `parquet:"id"`
	SubstationID         string   `parquet:"substationid,dict"`
	Status               string   `parquet:"status,dict"`
	Capacity             string   `parquet:"capacity,dict"`
	LocationID           string   `parquet:"locationid"`
	VoltageControlZoneID string   `parquet:"voltagecontrolzoneid,dict"`
	CapacityKVA          *float64 `parquet:"capacity_kva,optional"`
}

func storeDistributionTransformer(r *DistributionTransformer) distributionTransformerRow {
	return distributionTransformerRow{ID: r.ID, SubstationID: r.SubstationID, Status: r.Status, Capacity: r.Capacity,
		LocationID: r.LocationID, VoltageControlZoneID: r.VoltageControlZoneID, CapacityKVA: nullable(r.CapacityKVA)}
}

func (r *distributionTransformerRow) record() DistributionTransformer {
	return DistributionTransformer{ID: r.ID, SubstationID: r.SubstationID, Status: r.Status, Capacity: r.Capacity,
		LocationID: r.LocationID, VoltageControlZoneID: r.VoltageControlZoneID, CapacityKVA: orNaN(r.CapacityKVA)}
}

type serviceTransformerRow struct {
	ID                        string   `parquet:"id"`
	DistributionTransformerID string   `parquet:"distributiontransformerid,dict"`
	LocationID                string   `parquet:"locationid"`
	Capacity                  string   `parquet:"capacity,dict"`
	CapacityKVA               *float64 `parquet:"capacity_kva,optional"`
}

func storeServiceTransformer(r *ServiceTransformer) serviceTransformerRow {
	return serviceTransformerRow{ID: r.ID, DistributionTransformerID: r.DistributionTransformerID, LocationID: r.LocationID,
		Capacity: r.Capacity, CapacityKVA: nullable(r.CapacityKVA)}
}

func (r *serviceTransformerRow) record() ServiceTransformer {
	return ServiceTransformer{ID: r.ID, DistributionTransformerID: r.DistributionTransformerID, LocationID: r.LocationID,
		Capacity: r.Capacity, CapacityKVA: orNaN(r.CapacityKVA)}
}

type locationRow struct {
	ID           string   `parquet:"id"`
	Latitude     *float64 `parquet:"latitude,optional"`
	Longitude    *float64 `parquet:"longitude,optional"`
	Address      string   `parquet:"address"`
	LocationType string   `parquet:"locationtype,dict"`
}

func storeLocation(r *Location) locationRow {
	return locationRow{ID: r.ID, Latitude: nullable(float64(r.Latitude)), Longitude: nullable(float64(r.Longitude)),
		Address: r.Address, LocationType: r.LocationType}
}

func (r *locationRow) record() Location {
	return Location{ID: r.ID, Latitude: Coordinate(orNaN(r.Latitude)), Longitude: Coordinate(orNaN(r.Longitude)),
		Address: r.Address, LocationType: r.LocationType}
}

// nullable returns nil for NaN, else a pointer to a copy of v.
func nullable(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// orNaN returns *p, or NaN for nil.
func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

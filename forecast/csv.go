package forecast

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the timestamp forms meter exports and benchmark files use.
var timeLayouts = []string{
	"2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00", "2006-01-02",
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("forecast: unrecognised time %q", s)
}

func parseValue(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "na", "nan", "null":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// OpenFile opens a file for the CSV readers, transparently decompressing
// gzip (detected by its magic bytes, not the name). Close the returned
// closer when done.
func OpenFile(path string) (io.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := maybeGzip(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("forecast: %s: %w", path, err)
	}
	return r, f, nil
}

func maybeGzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return gzip.NewReader(br)
	}
	return br, nil
}

// ReadWide reads a wide CSV: a header, a time column first, then one numeric
// column per channel (the ETT layout). The step is inferred from the times.
// It returns the channel names and one Series per channel, on a common grid.
func ReadWide(ctx context.Context, r io.Reader) ([]string, []Series, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("forecast: reading header: %w", err)
	}
	if len(head) < 2 {
		return nil, nil, fmt.Errorf("forecast: wide CSV needs a time and a value column, header %q", head)
	}
	names := append([]string(nil), head[1:]...)
	var times []time.Time
	cols := make([][]float64, len(names))
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("forecast: line %d: %w", line, err)
		}
		if line%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		t, err := parseTime(rec[0])
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		times = append(times, t)
		for c := range names {
			v, err := parseValue(rec[c+1])
			if err != nil {
				return nil, nil, fmt.Errorf("forecast: line %d column %s: %w", line, names[c], err)
			}
			cols[c] = append(cols[c], v)
		}
	}
	step, err := InferStep(times)
	if err != nil {
		return nil, nil, err
	}
	series := make([]Series, len(names))
	for c := range names {
		pts := make([]Point, len(times))
		for i, t := range times {
			pts[i] = Point{t, cols[c][i]}
		}
		if series[c], err = FromPoints(pts, step); err != nil {
			return nil, nil, err
		}
	}
	return names, series, nil
}

// Meter is one meter's series from a long-format file.
type Meter struct {
	ID string // the id column's value
	Series
}

// ReadLong reads a long CSV of id,time,value rows with a header (any column
// names, e.g. meter_id,time,value or SGSC's
// customer_id,reading_datetime,general_supply_kwh). Rows of one id need not
// be contiguous or sorted. Each meter's step is inferred from its times and
// gaps become NaN. Meters come back in order of first appearance.
func ReadLong(ctx context.Context, r io.Reader) ([]Meter, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("forecast: reading header: %w", err)
	}
	if len(head) < 3 {
		return nil, fmt.Errorf("forecast: long CSV needs id,time,value columns, header %q", head)
	}
	pts := map[string][]Point{}
	var order []string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("forecast: line %d: %w", line, err)
		}
		if line%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		t, err := parseTime(rec[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		v, err := parseValue(rec[2])
		if err != nil {
			return nil, fmt.Errorf("forecast: line %d: %w", line, err)
		}
		id := rec[0]
		if _, ok := pts[id]; !ok {
			order = append(order, strings.Clone(id))
		}
		pts[id] = append(pts[id], Point{t, v})
	}
	meters := make([]Meter, 0, len(order))
	for _, id := range order {
		p := pts[id]
		times := make([]time.Time, len(p))
		for i := range p {
			times[i] = p[i].Time
		}
		step, err := InferStep(times)
		if err != nil {
			return nil, fmt.Errorf("meter %s: %w", id, err)
		}
		s, err := FromPoints(p, step)
		if err != nil {
			return nil, fmt.Errorf("meter %s: %w", id, err)
		}
		meters = append(meters, Meter{ID: id, Series: s})
	}
	return meters, nil
}

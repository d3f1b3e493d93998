package meter

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ESPIFormat is the Format of ParseErrors from the Green Button decoder.
const ESPIFormat = "espi"

// ESPIOptions configures an ESPIReader. Nil means the defaults.
type ESPIOptions struct {
	// Source is the reading_source of every read; default "espi".
	Source string
	// MeterID, if set, is the meter id of every read. By default it is the
	// UsagePoint id taken from the IntervalBlock entry's links
	// (".../UsagePoint/{id}/MeterReading/..."), since a Green Button feed
	// names no meter.
	MeterID string
	// OnError is called with every bad IntervalReading or IntervalBlock
	// (raw is nil: XML has no raw line). If it returns nil the reader
	// carries on; otherwise Read returns that error. If OnError is nil, the
	// first bad record stops the reader with its *ParseError. Malformed XML
	// always stops the reader, after OnError has seen it.
	OnError func(err *ParseError, raw []byte) error
}

// ESPIReader decodes a Green Button (NAESB REQ.21 ESPI) Atom feed into
// reads, one per IntervalReading. It implements Reader.
//
// The feed is read token by token with encoding/xml, never as a whole
// document: memory holds the reading types and the links of the feed's
// MeterReadings (a few per usage point), not its intervals. An XML document
// cannot be entered at an arbitrary byte offset, so a feed is one unit of
// work.
//
// Each IntervalBlock takes its ReadingType from the feed's links: the
// block's "up" link names its MeterReading, whose "related" link names the
// ReadingType entry. Feeds without those links get the most recent
// ReadingType before the block, which is how exports list them.
//
// Mapping: value × 10^powerOfTenMultiplier in the ReadingType's uom, scaled
// in decimal to the reading type's unit. Supported uom codes: 72 Wh (kwh, or
// kwh_export when flowDirection is 19, reverse), 73 VArh (kvarh,
// kvarh_export), 71 VAh (kvah), 38 W (kw), 61 VA (kva), 63 VAr (kvar), 29 V
// (vltg), 5 A (crrnt). Gas and water units (169 therm, 42 m³, ...) are
// rejected with ErrUnit, once per IntervalBlock. The read's time is
// timePeriod.start (epoch seconds, UTC) + duration, the interval end;
// without a duration the ReadingType's intervalLength is used.
//
// Quality: ReadingQuality codes 0 (valid), 14 (raw), 17 (validated), 18
// (verified) and 19 (revenue quality) are A; 7 (manually edited) and 11
// (derived) are S; all others, estimates (8, 9), projections (12) and the
// rest, are E, because they are not known to be measured.
type ESPIReader struct {
	dec     *xml.Decoder
	source  string
	meterID string
	onError func(*ParseError, []byte) error
	err     error

	stack []string // local names of open elements
	text  []byte   // character data of the current leaf

	// The current entry's links.
	self, up string
	related  []string
	inRT     bool
	rt       espiReadingType // the ReadingType being read
	isMR     bool            // the entry holds a MeterReading

	types    map[string]*espiReadingType // ReadingType self href
	mrType   map[string]string           // MeterReading self href -> ReadingType href
	lastType *espiReadingType

	// The current IntervalBlock.
	block     *espiReadingType
	blockID   string
	skipBlock bool
	ir        espiInterval
}

type espiReadingType struct {
	uom, power, flow, interval int64
	hasUOM                     bool
	typ                        Type
	shift                      int
	err                        error
}

type espiInterval struct {
	line, offset    int64
	start, duration int64
	hasStart, hasDu bool
	value           []byte
	quality         Quality
	err             error
	col             string
}

// NewESPIReader returns a Reader of the Green Button XML feed in r.
func NewESPIReader(r io.Reader, opts *ESPIOptions) *ESPIReader {
	if opts == nil {
		opts = &ESPIOptions{}
	}
	er := &ESPIReader{dec: xml.NewDecoder(r), source: opts.Source, meterID: opts.MeterID, onError: opts.OnError,
		types: map[string]*espiReadingType{}, mrType: map[string]string{}}
	if er.source == "" {
		er.source = "espi"
	}
	if er.onError == nil {
		er.onError = func(e *ParseError, _ []byte) error { return e }
	}
	return er
}

func (r *ESPIReader) perr(line, offset int64, col string, err error) *ParseError {
	return &ParseError{Format: ESPIFormat, Line: line, Offset: offset, Column: col, Err: err}
}

func (r *ESPIReader) report(pe *ParseError) {
	if e := r.onError(pe, nil); e != nil {
		r.err = e
	}
}

// Read implements Reader.
func (r *ESPIReader) Read(buf []Reading) (int, error) {
	n := 0
	for n < len(buf) {
		if r.err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, r.err
		}
		offset := r.dec.InputOffset()
		tok, err := r.dec.Token()
		if err != nil {
			if err == io.EOF {
				if len(r.stack) > 0 {
					err = io.ErrUnexpectedEOF
				} else {
					r.err = io.EOF
					continue
				}
			}
			line, _ := r.dec.InputPos()
			var se *xml.SyntaxError
			if errors.As(err, &se) || err == io.ErrUnexpectedEOF {
				pe := r.perr(int64(line), offset, "", fmt.Errorf("%w: %v", ErrEncoding, err))
				r.report(pe)
				if r.err == nil {
					r.err = pe
				}
				continue
			}
			r.err = err
			continue
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(r.stack) >= 64 {
				line, _ := r.dec.InputPos()
				pe := r.perr(int64(line), offset, "", fmt.Errorf("%w: elements nested more than 64 deep", ErrEncoding))
				r.report(pe)
				if r.err == nil {
					r.err = pe
				}
				continue
			}
			r.stack = append(r.stack, t.Name.Local)
			r.text = r.text[:0]
			r.start(t, offset)
		case xml.CharData:
			if r.collecting() && len(r.text) < 256 {
				r.text = append(r.text, t...)
			}
		case xml.EndElement:
			if rd, ok := r.end(t.Name.Local); ok {
				buf[n] = rd
				n++
			}
			r.stack = r.stack[:len(r.stack)-1]
		}
	}
	return n, nil
}

// collecting reports whether the character data of the open element is
// needed: the leaves of ReadingType and IntervalReading.
func (r *ESPIReader) collecting() bool {
	if len(r.stack) < 2 {
		return false
	}
	parent := r.stack[len(r.stack)-2]
	return parent == "ReadingType" || parent == "IntervalReading" || parent == "timePeriod" || parent == "ReadingQuality"
}

func (r *ESPIReader) start(t xml.StartElement, offset int64) {
	switch t.Name.Local {
	case "entry":
		r.self, r.up, r.related, r.isMR = "", "", r.related[:0], false
	case "link":
		var rel, href string
		for _, a := range t.Attr {
			switch a.Name.Local {
			case "rel":
				rel = a.Value
			case "href":
				href = a.Value
			}
		}
		switch rel {
		case "self":
			r.self = href
		case "up":
			r.up = href
		case "related":
			if len(r.related) < 16 {
				r.related = append(r.related, href)
			}
		}
	case "ReadingType":
		r.inRT = true
		r.rt = espiReadingType{}
	case "MeterReading":
		r.isMR = true
	case "IntervalBlock":
		r.startBlock(offset)
	case "IntervalReading":
		line, _ := r.dec.InputPos()
		r.ir = espiInterval{line: int64(line), offset: offset, quality: QualityActual}
	}
}

// startBlock finds the reading type and meter of an IntervalBlock.
func (r *ESPIReader) startBlock(offset int64) {
	r.skipBlock = false
	line, _ := r.dec.InputPos()
	rt := r.lastType
	if mr, ok := strings.CutSuffix(r.up, "/IntervalBlock"); ok {
		if href, ok := r.mrType[mr]; ok && r.types[href] != nil {
			rt = r.types[href]
		}
	}
	if rt == nil {
		r.skipBlock = true
		r.report(r.perr(int64(line), offset, "ReadingType", fmt.Errorf("%w: IntervalBlock before any ReadingType", ErrStructure)))
		return
	}
	if rt.err != nil {
		r.skipBlock = true
		r.report(r.perr(int64(line), offset, "uom", rt.err))
		return
	}
	r.block = rt
	r.blockID = r.meterID
	if r.blockID == "" {
		r.blockID = usagePointID(r.up)
		if r.blockID == "" {
			r.blockID = usagePointID(r.self)
		}
		if r.blockID == "" {
			r.skipBlock = true
			r.report(r.perr(int64(line), offset, "link", fmt.Errorf("%w: no UsagePoint in the IntervalBlock's links; set ESPIOptions.MeterID", ErrMeterID)))
		}
	}
}

// usagePointID returns the path segment after "/UsagePoint/" in href.
func usagePointID(href string) string {
	_, rest, ok := strings.Cut(href, "/UsagePoint/")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if !validMeterID([]byte(rest)) {
		return ""
	}
	return rest
}

func (r *ESPIReader) parseInt(col string) (int64, error) {
	v, err := strconv.ParseInt(string(bytes.TrimSpace(r.text)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q", ErrNumber, col, clip(r.text))
	}
	return v, nil
}

// end handles a closing element and returns a read when it closes a good
// IntervalReading.
func (r *ESPIReader) end(name string) (Reading, bool) {
	parent := ""
	if len(r.stack) >= 2 {
		parent = r.stack[len(r.stack)-2]
	}
	switch {
	case parent == "ReadingType" && r.inRT:
		var err error
		switch name {
		case "uom":
			r.rt.uom, err = r.parseInt(name)
			r.rt.hasUOM = err == nil
		case "powerOfTenMultiplier":
			r.rt.power, err = r.parseInt(name)
		case "flowDirection":
			r.rt.flow, err = r.parseInt(name)
		case "intervalLength":
			r.rt.interval, err = r.parseInt(name)
		}
		if err != nil && r.rt.err == nil {
			r.rt.err = err
		}
	case parent == "timePeriod" && len(r.stack) >= 3 && r.stack[len(r.stack)-3] == "IntervalReading":
		v, err := r.parseInt(name)
		if err != nil {
			r.ir.fail("timePeriod", err)
		}
		switch name {
		case "start":
			r.ir.start, r.ir.hasStart = v, err == nil
		case "duration":
			r.ir.duration, r.ir.hasDu = v, err == nil
		}
	case parent == "ReadingQuality" && name == "quality":
		v, err := r.parseInt(name)
		if err != nil {
			r.ir.fail("quality", fmt.Errorf("%w: %w", ErrQuality, err))
		} else if q := espiQuality(v); q != QualityActual {
			r.ir.quality = q
		}
	case parent == "IntervalReading" && name == "value":
		r.ir.value = append(r.ir.value[:0], bytes.TrimSpace(r.text)...)
	case name == "ReadingType" && r.inRT:
		r.inRT = false
		rt := r.rt
		rt.resolve()
		p := &rt
		if r.self != "" && len(r.types) < 1024 {
			r.types[r.self] = p
		}
		r.lastType = p
	case name == "entry":
		if r.isMR && r.self != "" && len(r.mrType) < 1024 {
			for _, h := range r.related {
				if strings.Contains(h, "ReadingType") {
					r.mrType[r.self] = h
				}
			}
		}
	case name == "IntervalBlock":
		r.block = nil
	case name == "IntervalReading":
		if r.block == nil || r.skipBlock {
			if !r.skipBlock {
				r.report(r.perr(r.ir.line, r.ir.offset, "", fmt.Errorf("%w: IntervalReading outside an IntervalBlock", ErrStructure)))
			}
			return Reading{}, false
		}
		return r.emit()
	}
	return Reading{}, false
}

func (ir *espiInterval) fail(col string, err error) {
	if ir.err == nil {
		ir.col, ir.err = col, err
	}
}

func (r *ESPIReader) emit() (Reading, bool) {
	ir := &r.ir
	if ir.err == nil && !ir.hasStart {
		ir.fail("timePeriod", fmt.Errorf("%w: no timePeriod start", ErrTimestamp))
	}
	du := ir.duration
	if !ir.hasDu {
		du = r.block.interval
	}
	if ir.err == nil && (du < 0 || du > 31*86400 || ir.start < -1<<40 || ir.start > 1<<40) {
		ir.fail("timePeriod", fmt.Errorf("%w: start %d, duration %d", ErrTimestamp, ir.start, du))
	}
	var v float64
	if ir.err == nil {
		var ok bool
		v, ok = parseDecimal(ir.value, r.block.shift)
		if !ok {
			ir.fail("value", fmt.Errorf("%w: %q", ErrNumber, clip(ir.value)))
		}
	}
	if ir.err != nil {
		r.report(r.perr(ir.line, ir.offset, ir.col, ir.err))
		return Reading{}, false
	}
	return Reading{MeterID: r.blockID, Type: r.block.typ, Value: v, Time: time.Unix(ir.start+du, 0).UTC(),
		Source: r.source, Quality: ir.quality}, true
}

// resolve maps the ReadingType's uom and direction to a reading type.
func (rt *espiReadingType) resolve() {
	if rt.err != nil {
		return
	}
	if !rt.hasUOM {
		rt.err = fmt.Errorf("%w: ReadingType without uom", ErrUnit)
		return
	}
	if rt.power < -30 || rt.power > 30 {
		rt.err = fmt.Errorf("%w: powerOfTenMultiplier %d", ErrNumber, rt.power)
		return
	}
	export := rt.flow == 19
	kilo := -3
	switch rt.uom {
	case 72:
		rt.typ = TypeKWh
		if export {
			rt.typ = TypeKWhExport
		}
	case 73:
		rt.typ = TypeKVArh
		if export {
			rt.typ = TypeKVArhExport
		}
	case 71:
		rt.typ = TypeKVAh
	case 38:
		rt.typ = TypeKW
	case 61:
		rt.typ = TypeKVA
	case 63:
		rt.typ = TypeKVAr
	case 29:
		rt.typ, kilo = TypeVoltage, 0
	case 5:
		rt.typ, kilo = TypeCurrent, 0
	default:
		rt.err = fmt.Errorf("%w: uom %d", ErrUnit, rt.uom)
		return
	}
	rt.shift = int(rt.power) + kilo
}

func espiQuality(code int64) Quality {
	switch code {
	case 0, 14, 17, 18, 19:
		return QualityActual
	case 7, 11:
		return QualitySubstituted
	}
	return QualityEstimated
}

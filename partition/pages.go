package partition

import (
	"errors"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// A cached file keeps, for the column chunks that meter queries read, the
// page readers they used: parquet-go's page reader keeps the dictionary it
// decoded, and decoding a column's dictionary (every distinct value of the
// row group) cost a one-meter query more than the few pages it reads. A
// reader goes back to its file when the scan is done with it; the next
// scan of the file takes it, points it at its own bytes and skips the
// dictionary's download and decoding. The readers' memory (dictionary,
// buffer and last page) counts in the cache's bound.

// maxIdlePages bounds the idle page readers a file keeps per column chunk:
// more are only made when scans read the file at once.
const maxIdlePages = 2

// pagesKey is a column chunk of a file: row group and leaf column.
type pagesKey struct{ rowGroup, column int }

// pooledPages is a page reader of a column chunk.
type pooledPages struct {
	pages *parquet.FilePages
	src   swapReader
	key   pagesKey
	// dict is whether its dictionary is decoded: the chunk's dictionary
	// page need not be fetched.
	dict      bool
	dictSize  int64
	accounted int64 // bytes of it in the cache's account
	pooled    bool  // kept by the file when idle
}

// swapReader reads through the reader of the scan that holds the page
// reader, or fails if none does.
type swapReader struct{ r io.ReaderAt }

func (s *swapReader) ReadAt(p []byte, off int64) (int, error) {
	if s.r == nil {
		return 0, errors.New("partition: internal error: page reader used while idle")
	}
	return s.r.ReadAt(p, off)
}

// takePages returns a page reader of a column chunk (whose metadata is md)
// of m reading from r: an idle one if m has it, else a new one. Only
// readers of chunks with a dictionary are kept.
func (m *fileMeta) takePages(fc *parquet.FileColumnChunk, md *format.ColumnMetaData, key pagesKey, r io.ReaderAt) *pooledPages {
	var p *pooledPages
	keep := m.cache != nil && hasDictionary(md)
	if keep {
		m.mu.Lock()
		if idle := m.idle[key]; len(idle) > 0 {
			p = idle[len(idle)-1]
			idle[len(idle)-1] = nil
			m.idle[key] = idle[:len(idle)-1]
		}
		m.mu.Unlock()
	}
	if p == nil {
		p = &pooledPages{key: key, pooled: keep}
		p.pages = fc.PagesFrom(&p.src)
	}
	p.src.r = r
	return p
}

// hasDictionary reports whether a column chunk has a dictionary page.
func hasDictionary(md *format.ColumnMetaData) bool {
	if md.DictionaryPageOffset > 0 {
		return true
	}
	for _, e := range md.Encoding {
		if e == format.RLEDictionary || e == format.PlainDictionary {
			return true
		}
	}
	return false
}

// putPages gives a page reader back to m (or closes it), after a scan
// that ended without error (used: and read pages): the reader's state is
// sound. The reader's source must still hold the bytes the scan fetched.
func (m *fileMeta) putPages(p *pooledPages, used bool) {
	if !p.pooled {
		p.pages.Close()
		return
	}
	if !p.dict && used {
		// Decoded already if a page needed it; else read from the bytes
		// fetched for this scan (the chunk's head, where it is).
		d, err := p.pages.ReadDictionary()
		if err != nil {
			p.pages.Close()
			return
		}
		if d != nil {
			p.dict = true
			p.dictSize = d.Size()
		}
	}
	p.src.r = nil
	// p is another scan's as soon as it is idle: settle it first.
	var delta int64
	m.mu.Lock()
	keep := len(m.idle[p.key]) < maxIdlePages
	if keep {
		if p.accounted == 0 {
			// Its dictionary, buffer and a decoded page.
			p.accounted = p.dictSize + pagesOverhead
			delta = p.accounted
		}
		if m.idle == nil {
			m.idle = make(map[pagesKey][]*pooledPages)
		}
		m.idle[p.key] = append(m.idle[p.key], p)
	} else {
		delta = -p.accounted
	}
	m.mu.Unlock()
	if !keep {
		p.pages.Close()
	}
	if delta != 0 {
		m.cache.grow(m, delta)
	}
}

// pagesOverhead estimates the memory of an idle page reader besides its
// dictionary: its read buffer and the last page it decoded.
const pagesOverhead = readBufferSize + 16<<10

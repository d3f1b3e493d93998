package partition

import (
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// fastSnappy is the SNAPPY codec with the fast block encoder. parquet-go's
// own goes through klauspost/compress/snappy.Encode, the "better" encoder,
// which took about a tenth of an ingest's CPU time for files a few percent
// smaller; ingest throughput is worth more than that here. The output is
// standard Snappy, which every Parquet reader decodes.
type fastSnappy struct{}

func (fastSnappy) String() string                            { return "SNAPPY" }
func (fastSnappy) CompressionCodec() format.CompressionCodec { return format.Snappy }

func (fastSnappy) Encode(dst, src []byte) ([]byte, error) {
	n := s2.MaxEncodedLen(len(src))
	if n < 0 {
		return nil, s2.ErrTooLarge
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.EncodeSnappy(dst[:n], src), nil
}

func (fastSnappy) Decode(dst, src []byte) ([]byte, error) {
	n, err := s2.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.Decode(dst[:n], src)
}

// fastZstd is the ZSTD codec at a chosen level, with pooled single-threaded
// encoders that keep little memory and write no checksums (a Parquet page
// has its own sizes, and readers do not need one). parquet-go's own codec
// encodes at the default level: on the lake's pages the fastest level gave
// files within a few percent of the size for half the CPU time.
type fastZstd struct {
	level zstd.EncoderLevel
	pool  *sync.Pool
}

func newFastZstd(level zstd.EncoderLevel) fastZstd {
	return fastZstd{level: level, pool: &sync.Pool{New: func() any {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1),
			zstd.WithLowerEncoderMem(true), zstd.WithEncoderCRC(false), zstd.WithWindowSize(1<<20))
		if err != nil {
			panic(err) // the options are constants
		}
		return enc
	}}}
}

// zstdFastest is the lake's default ZSTD codec.
var zstdFastest = newFastZstd(zstd.SpeedFastest)

func (fastZstd) String() string                            { return "ZSTD" }
func (fastZstd) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c fastZstd) Encode(dst, src []byte) ([]byte, error) {
	enc := c.pool.Get().(*zstd.Encoder)
	defer c.pool.Put(enc)
	return enc.EncodeAll(src, dst[:0]), nil
}

func (fastZstd) Decode(dst, src []byte) ([]byte, error) { return parquet.Zstd.Decode(dst, src) }

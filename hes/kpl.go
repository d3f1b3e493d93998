package hes

import (
	"bytes"
	"crypto/md5"

	"google.golang.org/protobuf/encoding/protowire"
)

// kplMagic starts a Kinesis record in which the Kinesis Producer Library
// (KPL) aggregated several user records: the magic, an AggregatedRecord
// protocol buffer, and the MD5 of that protocol buffer. The format is
// amazon-kinesis-producer's aggregation-format.md:
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//
// Lambda's Kinesis event source and the Kinesis API hand such a record over
// as it is: de-aggregation is the consumer's job (the KCL's, or here
// AppendRecords').
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

const kplChecksumSize = md5.Size

// KPL field numbers.
const (
	kplAggregatedPartitionKeys   = 1
	kplAggregatedExplicitHashKey = 2
	kplAggregatedRecords         = 3
	kplRecordPartitionKeyIndex   = 1
	kplRecordData                = 3
)

// kplRecords returns the data of the user records in a KPL aggregated
// record, in their order, or ok false when body is not one: no magic, a
// checksum that does not match, or a protocol buffer that does not parse
// or lacks a record's required fields. A body that is not a whole,
// checked aggregate is never taken apart: what it holds is unknown.
func kplRecords(body []byte) (records [][]byte, ok bool) {
	if len(body) < len(kplMagic)+kplChecksumSize || !bytes.HasPrefix(body, kplMagic) {
		return nil, false
	}
	msg := body[len(kplMagic) : len(body)-kplChecksumSize]
	sum := md5.Sum(msg)
	if !bytes.Equal(sum[:], body[len(body)-kplChecksumSize:]) {
		return nil, false
	}
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return nil, false
		}
		msg = msg[n:]
		if num == kplAggregatedRecords {
			if typ != protowire.BytesType {
				return nil, false
			}
			rec, n := protowire.ConsumeBytes(msg)
			if n < 0 {
				return nil, false
			}
			msg = msg[n:]
			data, ok := kplUserData(rec)
			if !ok {
				return nil, false
			}
			records = append(records, data)
			continue
		}
		if (num == kplAggregatedPartitionKeys || num == kplAggregatedExplicitHashKey) && typ != protowire.BytesType {
			return nil, false
		}
		n = protowire.ConsumeFieldValue(num, typ, msg)
		if n < 0 {
			return nil, false
		}
		msg = msg[n:]
	}
	return records, true
}

// kplUserData returns a Record's data; ok is false if the record does
// not parse or lacks its required partition key index or data.
func kplUserData(rec []byte) (data []byte, ok bool) {
	var hasKey, hasData bool
	for len(rec) > 0 {
		num, typ, n := protowire.ConsumeTag(rec)
		if n < 0 {
			return nil, false
		}
		rec = rec[n:]
		switch {
		case num == kplRecordData && typ == protowire.BytesType:
			data, n = protowire.ConsumeBytes(rec)
			hasData = true
		case num == kplRecordPartitionKeyIndex && typ == protowire.VarintType:
			_, n = protowire.ConsumeVarint(rec)
			hasKey = true
		case num == kplRecordData || num == kplRecordPartitionKeyIndex:
			return nil, false // a known field of the wrong wire type
		default:
			n = protowire.ConsumeFieldValue(num, typ, rec)
		}
		if n < 0 {
			return nil, false
		}
		rec = rec[n:]
	}
	return data, hasKey && hasData
}

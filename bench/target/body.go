package target

import "time"

// AppendIngestBody appends the JSON array of a batch in the shape of Metronome's
// POST /v1/ingest: [{"transaction_id","customer_id","event_type","timestamp","properties"}].
func AppendIngestBody(dst []byte, c *Customers, b Batch, eventType string, ts time.Time) []byte {
	var tsBuf [40]byte
	stamp := ts.UTC().AppendFormat(tsBuf[:0], time.RFC3339)
	dst = append(dst, '[')
	for j, cust := range b.Customers {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"transaction_id":"`...)
		dst = AppendTxnID(dst, c.Run, b, j)
		dst = append(dst, `","customer_id":"`...)
		dst = append(dst, c.Key(cust)...)
		dst = append(dst, `","event_type":"`...)
		dst = append(dst, eventType...)
		dst = append(dst, `","timestamp":"`...)
		dst = append(dst, stamp...)
		dst = append(dst, `","properties":{}}`...)
	}
	return append(dst, ']')
}

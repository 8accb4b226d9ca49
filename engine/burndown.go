package engine

import (
	"sort"

	"burndown/money"
)

// appliesTo reports whether the commit or credit may pay for the product.
// With neither ids nor tags it applies to every product.
func (cm *Commit) appliesTo(cat *Catalog, productID string) bool {
	ids, tags := cm.ApplicableProductIDs(), cm.ApplicableProductTags()
	if len(ids) == 0 && len(tags) == 0 {
		return true
	}
	return contains(ids, productID) || (len(tags) > 0 && cat.productHasAnyTag(productID, tags))
}

// drawable reports whether the commit is a balance usage draws from:
// prepaid and postpaid commits and credits not archived. A postpaid commit
// with LegacyRules is not: the builds that made it never drew one.
func (cm *Commit) drawable() bool {
	if cm.ArchivedAt() != 0 {
		return false
	}
	switch cm.Type {
	case CommitPrepaid, CommitCredit:
		return true
	case CommitPostpaid:
		return !cm.LegacyRules
	}
	return false
}

// postpaid reports whether draws from the commit are billed in arrears
// (and its remainder trued up): a POSTPAID commit under the current rules.
func (cm *Commit) postpaid() bool { return cm.Type == CommitPostpaid && !cm.LegacyRules }

// free reports whether the commit has a zero cost basis: credits, and commits
// whose purchase is not invoiced. A postpaid commit is paid for (in arrears).
func (cm *Commit) free() bool {
	if cm.Type == CommitCredit {
		return true
	}
	if cm.postpaid() {
		return false
	}
	for _, it := range cm.InvoiceSchedule() {
		if !it.Amount.IsZero() {
			return false
		}
	}
	return true
}

// applicableCount is how many catalog products the commit may pay for; fewer
// first is one of the burn-down tiebreaks. The count of a commit limited to
// some products is cached per catalog version (counts), since counting tags
// walks the whole catalog.
func (cm *Commit) applicableCount(cat *Catalog, counts *commitCounts) int {
	if len(cm.ApplicableProductIDs()) == 0 && len(cm.ApplicableProductTags()) == 0 {
		return len(cat.Products)
	}
	if n, ok := counts.get(cm, cat); ok {
		return n
	}
	n := 0
	for _, id := range cat.ProductOrder {
		if cm.appliesTo(cat, id) {
			n++
		}
	}
	counts.put(cm, n)
	return n
}

// commitCountsMax bounds a shard's count cache: commits replaced by edits
// (contract clones) stay in it until it is emptied.
const commitCountsMax = 1 << 16

// commitCounts is a shard's cache of applicableCount for one catalog
// version, kept beside the commits rather than in each (a commit fits the
// 240-byte size class without it: BenchmarkMemoryPerCustomer).
type commitCounts struct {
	cat *Catalog
	n   map[*Commit]int
}

// get returns the cached count of cm under cat.
func (c *commitCounts) get(cm *Commit, cat *Catalog) (int, bool) {
	if c.cat != cat {
		c.cat, c.n = cat, nil
	}
	n, ok := c.n[cm]
	return n, ok
}

// put caches cm's count under the catalog of the last get.
func (c *commitCounts) put(cm *Commit, n int) {
	if c.n == nil || len(c.n) >= commitCountsMax {
		c.n = map[*Commit]int{}
	}
	c.n[cm] = n
}

// segmentAt returns the commit's segment in force at t, or nil.
func (cm *Commit) segmentAt(t Nanos) *Segment {
	for _, s := range cm.Segments {
		if s.InForce(t) {
			return s
		}
	}
	return nil
}

// drawCandidate is one balance that can pay for a draw, with its sort keys.
type drawCandidate struct {
	cm    *Commit
	seg   *Segment
	count int
}

// burnOrderLess orders candidates as Metronome documents: lower priority
// first; free before paid; fewer applicable products; earlier end; earlier
// start; older.
func burnOrderLess(a, b *drawCandidate) bool {
	pa, pb := a.cm.Priority(), b.cm.Priority()
	switch {
	case pa != nil && pb == nil:
		return true
	case pa == nil && pb != nil:
		return false
	case pa != nil && pb != nil:
		if c := pa.Cmp(*pb); c != 0 {
			return c < 0
		}
	}
	if fa, fb := a.cm.free(), b.cm.free(); fa != fb {
		return fa
	}
	if a.count != b.count {
		return a.count < b.count
	}
	if a.seg.EndingBefore != b.seg.EndingBefore {
		return a.seg.EndingBefore < b.seg.EndingBefore
	}
	if a.seg.StartingAt != b.seg.StartingAt {
		return a.seg.StartingAt < b.seg.StartingAt
	}
	return a.cm.Seq < b.cm.Seq
}

// candidates lists the balances that may pay for product in creditTypeID at
// t, in burn-down order.
// The customer-level balances that apply to k (customer_balance.go) are
// candidates alongside k's own.
func candidates(cat *Catalog, c *Customer, k *Contract, productID, creditTypeID string, t Nanos, buf []drawCandidate, counts *commitCounts) []drawCandidate {
	buf = buf[:0]
	for _, cm := range k.Balances {
		buf = appendCandidate(buf, cat, k, cm, productID, creditTypeID, t, counts)
	}
	for _, b := range c.Balances() {
		if b.appliesTo(k) {
			buf = appendCandidate(buf, cat, k, b.Commit, productID, creditTypeID, t, counts)
		}
	}
	if len(buf) > 1 {
		sort.SliceStable(buf, func(i, j int) bool { return burnOrderLess(&buf[i], &buf[j]) })
	}
	return buf
}

// appendCandidate appends cm to buf when it may pay for product in
// creditTypeID at t (drawn through k).
func appendCandidate(buf []drawCandidate, cat *Catalog, k *Contract, cm *Commit, productID, creditTypeID string, t Nanos, counts *commitCounts) []drawCandidate {
	if !cm.drawable() || cm.CreditTypeID != creditTypeID || !cm.appliesTo(cat, productID) {
		return buf
	}
	seg := cm.segmentAt(t)
	if seg == nil || (seg.Expired && !k.lateDrawable(cm, seg)) {
		return buf
	}
	return append(buf, drawCandidate{cm: cm, seg: seg, count: cm.applicableCount(cat, counts)})
}

// burnDown draws spend from the applicable balances at t and returns what
// the invoice bills for it: what none of them covered (overage) plus what
// postpaid commits covered, as Metronome bills postpaid usage in arrears
// (the applied line of a postpaid commit is shown but not subtracted).
func (s *shard) burnDown(cat *Catalog, c *Customer, k *Contract, inv *Invoice, productID, creditTypeID string, t Nanos, spend money.Amount) money.Amount {
	if !spend.IsPositive() {
		return spend
	}
	cands := candidates(cat, c, k, productID, creditTypeID, t, s.scratch.cands, &s.scratch.counts)
	s.scratch.cands = cands
	var arrears money.Amount
	for i := range cands {
		if !spend.IsPositive() {
			break
		}
		cm, seg := cands[i].cm, cands[i].seg
		left := seg.Amount.Sub(seg.Drawn)
		if seg.Expired {
			left = seg.ExpiredAmount() // a trued-up postpaid remainder (lateDrawable)
		}
		if !left.IsPositive() {
			continue
		}
		draw, covered := spend, true
		if left.LessThan(draw) {
			draw, covered = left, false
		}
		seg.Drawn = seg.Drawn.Add(draw)
		if seg.Expired {
			k.reduceTrueUp(cm, seg, draw)
		}
		seg.deduct(inv, draw)
		l := inv.line(LineAppliedCommit, "", cm.ID, creditTypeID)
		l.Total = l.Total.Sub(draw)
		if cm.postpaid() {
			arrears = arrears.Add(draw)
		}
		if covered {
			return arrears
		}
		spend = spend.Sub(draw)
	}
	if arrears.IsZero() {
		return spend
	}
	return spend.Add(arrears)
}

// deduct adds a draw to the segment's deduction for the invoice. The entry
// is dated at the later of the invoice's start and the segment's start, as a
// deduction belongs to an invoice, not to the event that first drew.
func (seg *Segment) deduct(inv *Invoice, amount money.Amount) {
	for i := range seg.Deductions {
		if seg.Deductions[i].InvoiceID == inv.ID {
			seg.Deductions[i].Amount = seg.Deductions[i].Amount.Add(amount)
			return
		}
	}
	seg.Deductions = append(seg.Deductions, Deduction{InvoiceID: inv.ID, Timestamp: max(inv.Start, seg.StartingAt), Amount: amount})
}

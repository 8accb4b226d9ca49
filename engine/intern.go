package engine

// Interning: a string a command carries that names something the engine
// already holds (a product, a credit type, a metric, an enumerated type)
// is kept as the engine's own copy, so a million customers' commits and
// alerts point at one string each instead of each keeping the copy its
// decoded command brought (BenchmarkMemoryPerCustomer).

// internOf returns the element of list equal to s, or s.
func internOf(list []string, s string) string {
	for _, x := range list {
		if x == s {
			return x
		}
	}
	return s
}

// commitType returns the constant naming a commit type, or t.
func commitType(t string) string {
	switch t {
	case CommitPrepaid:
		return CommitPrepaid
	case CommitPostpaid:
		return CommitPostpaid
	case CommitCredit:
		return CommitCredit
	}
	return t
}

// productID returns the catalog's copy of a product id, or id.
func (cat *Catalog) productID(id string) string {
	if p := cat.Products[id]; p != nil {
		return p.ID
	}
	return id
}

// creditTypeID returns the catalog's copy of a credit type id, or id.
func (cat *Catalog) creditTypeID(id string) string {
	if ct := cat.CreditTypes[id]; ct != nil {
		return ct.ID
	}
	return id
}

// metricID returns the catalog's copy of a billable metric id, or id.
func (cat *Catalog) metricID(id string) string {
	if m := cat.Metrics[id]; m != nil {
		return m.ID
	}
	return id
}

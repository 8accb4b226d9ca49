package engine

// ContractTerms are three enumerated terms of a contract, kept together
// behind one pointer that contracts with the same three share.
type ContractTerms struct {
	// MultiplierPrioritization is how applicable overrides combine:
	// LOWEST_MULTIPLIER, EXPLICIT, or "" for a contract created before
	// prioritization existed (multipliers compound; see priceAt).
	MultiplierPrioritization string `msgpack:"MultiplierPrioritization"`
	// StatementFrequency is MONTHLY, QUARTERLY, SEMI_ANNUAL or ANNUAL ("":
	// MONTHLY; since customer layout 3, as StatementDay).
	StatementFrequency string `msgpack:"StatementFrequency"`
	// StatementDay is FIRST_OF_MONTH, CONTRACT_START or CUSTOM_DATE ("":
	// FIRST_OF_MONTH).
	StatementDay string `msgpack:"StatementDay"`
}

// contractTermsTable holds one ContractTerms for each combination of the
// enumerated values; built once, never changed.
var contractTermsTable = func() map[ContractTerms]*ContractTerms {
	m := map[ContractTerms]*ContractTerms{}
	for _, p := range []string{PrioritizationLegacy, PrioritizationLowestMultiplier, PrioritizationExplicit} {
		for _, f := range []string{"", FrequencyMonthly, FrequencyQuarterly, FrequencySemiAnnual, FrequencyAnnual} {
			for _, d := range []string{"", DayFirstOfMonth, DayContractStart, DayCustomDate} {
				t := ContractTerms{MultiplierPrioritization: p, StatementFrequency: f, StatementDay: d}
				m[t] = &t
			}
		}
	}
	return m
}()

// ContractTermsOf returns the shared terms for these values (nil when all
// are ""); values outside the enumerations (none is stored) get terms of
// their own.
func ContractTermsOf(prioritization, frequency, day string) *ContractTerms {
	t := ContractTerms{MultiplierPrioritization: prioritization, StatementFrequency: frequency, StatementDay: day}
	if t == (ContractTerms{}) {
		return nil
	}
	if shared := contractTermsTable[t]; shared != nil {
		return shared
	}
	return &t
}

// MultiplierPrioritization is the contract's multiplier_override_prioritization.
func (k *Contract) MultiplierPrioritization() string {
	if k.Terms == nil {
		return ""
	}
	return k.Terms.MultiplierPrioritization
}

// StatementFrequency is the contract's statement frequency ("": MONTHLY).
func (k *Contract) StatementFrequency() string {
	if k.Terms == nil {
		return ""
	}
	return k.Terms.StatementFrequency
}

// StatementDay is the contract's statement anchor day ("": FIRST_OF_MONTH).
func (k *Contract) StatementDay() string {
	if k.Terms == nil {
		return ""
	}
	return k.Terms.StatementDay
}

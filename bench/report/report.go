// Package report holds the results of a bench run and writes them out: a JSON file
// with every figure, a markdown summary and SVG plots.
package report

import (
	"burndown/bench/loadgen"
)

// Report is one bench run.
type Report struct {
	Meta      Meta        `json:"meta"`
	Systems   []System    `json:"systems"`
	Skipped   []Skip      `json:"skipped,omitempty"`
	Scenarios []*Scenario `json:"scenarios"`
	// Targets is issue 19's table computed from the scenarios (Write fills it).
	Targets []TargetRow `json:"targets,omitempty"`
}

// Meta says where and how the run was made.
type Meta struct {
	Command   string  `json:"command"`
	Started   string  `json:"started"`
	Seconds   float64 `json:"seconds"`
	GoVersion string  `json:"go_version"`
	GitCommit string  `json:"git_commit"`
	CPUModel  string  `json:"cpu_model"`
	Cores     int     `json:"cores"`
	MemTotal  string  `json:"mem_total"`
	OS        string  `json:"os"`
	Kernel    string  `json:"kernel"`
	Customers int     `json:"customers"`
	ZipfS     float64 `json:"zipf_s"`
	Target    string  `json:"target"` // Burndown URL or "local"
}

// System is one system under test and how it was measured.
type System struct {
	Name string `json:"name"`
	Via  string `json:"via"`
}

// Skip is a system or scenario that could not run, and why.
type Skip struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// Phase is one load phase against one system.
type Phase struct {
	System string `json:"system"`
	// Name is "peak" for the closed-loop run, "open NN%" for an open-loop level,
	// "trickle" for background ingest, or a scenario-specific name.
	Name string `json:"name"`
	// Op is "check" or "ingest".
	Op     string          `json:"op"`
	Result *loadgen.Result `json:"result"`
}

// Figure is one named number of a scenario, with a unit.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Note  string  `json:"note,omitempty"`
}

// Comparison is a Burndown figure against a baseline's.
type Comparison struct {
	What     string  `json:"what"`
	Unit     string  `json:"unit"`
	Burndown float64 `json:"burndown"`
	Baseline string  `json:"baseline"`
	Other    float64 `json:"other"`
	Ratio    float64 `json:"ratio"` // Burndown / Other
}

// Table is a free-form table (e.g. one row per scale step).
type Table struct {
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// Scenario is the outcome of one scenario.
type Scenario struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Seconds     float64      `json:"seconds"`
	Error       string       `json:"error,omitempty"`
	Phases      []Phase      `json:"phases,omitempty"`
	Figures     []Figure     `json:"figures,omitempty"`
	Comparisons []Comparison `json:"comparisons,omitempty"`
	Tables      []Table      `json:"tables,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
	Plots       []string     `json:"plots,omitempty"` // file names, filled by Write
}

// Add appends a phase.
func (s *Scenario) Add(system, name, op string, r *loadgen.Result) {
	if r != nil {
		s.Phases = append(s.Phases, Phase{System: system, Name: name, Op: op, Result: r})
	}
}

// Figure appends a named figure.
func (s *Scenario) Figure(name string, v float64, unit, note string) {
	s.Figures = append(s.Figures, Figure{Name: name, Value: v, Unit: unit, Note: note})
}

// HasFigure reports whether a figure of that name was added.
func (s *Scenario) HasFigure(name string) bool {
	for _, f := range s.Figures {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Note appends a free-text note.
func (s *Scenario) Note(n string) { s.Notes = append(s.Notes, n) }

// Find returns the phase of system with the given name and op, or nil.
func (s *Scenario) Find(system, name, op string) *Phase {
	for i := range s.Phases {
		p := &s.Phases[i]
		if p.System == system && p.Name == name && p.Op == op {
			return p
		}
	}
	return nil
}

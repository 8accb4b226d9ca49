package report

import (
	"bytes"
	"fmt"
	"strings"
)

// Markdown renders the human summary of a run.
func Markdown(r *Report) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := r.Meta
	p("# Burndown bench report\n\n")
	p("| | |\n|---|---|\n")
	p("| command | `%s` |\n", strings.ReplaceAll(m.Command, "|", `\|`))
	p("| started | %s (%.0f s) |\n", m.Started, m.Seconds)
	p("| machine | %s, %d cores, %s, %s %s |\n", m.CPUModel, m.Cores, m.MemTotal, m.OS, m.Kernel)
	p("| Go | %s |\n| commit | %s |\n", m.GoVersion, m.GitCommit)
	p("| customers | %d (Zipf s=%g) |\n| Burndown | %s |\n\n", m.Customers, m.ZipfS, m.Target)
	p("Client and servers share this machine. Latency is measured by the load generator from each request's ")
	p("intended send time in open-loop phases (no coordinated omission) and from its actual send time in closed-loop phases.\n\n")
	if len(r.Systems) > 0 {
		p("## Systems and how each is measured\n\n| system | measured via |\n|---|---|\n")
		for _, s := range r.Systems {
			p("| %s | %s |\n", s.Name, esc(s.Via))
		}
		p("\n")
	}
	if len(r.Skipped) > 0 {
		p("## Skipped\n\n")
		for _, s := range r.Skipped {
			p("- **%s**: %s\n", s.What, esc(s.Reason))
		}
		p("\n")
	}
	targetsMarkdown(&b, r.Targets)
	for _, s := range r.Scenarios {
		p("## Scenario `%s`\n\n%s\n\n", s.Name, s.Description)
		if s.Error != "" {
			p("**Error:** %s\n\n", esc(s.Error))
		}
		if len(s.Comparisons) > 0 {
			p("Ratio is Burndown ÷ baseline: above 1 is better for throughput, below 1 is better for latency.\n\n")
			p("| Burndown vs | what | Burndown | baseline | ratio |\n|---|---|---:|---:|---:|\n")
			for _, c := range s.Comparisons {
				p("| %s | %s | %s %s | %s %s | %.2f× |\n", c.Baseline, c.What, num(c.Burndown), c.Unit, num(c.Other), c.Unit, c.Ratio)
			}
			p("\n")
		}
		if len(s.Figures) > 0 {
			p("| figure | value | note |\n|---|---:|---|\n")
			for _, f := range s.Figures {
				p("| %s | %s %s | %s |\n", f.Name, num(f.Value), f.Unit, esc(f.Note))
			}
			p("\n")
		}
		for _, t := range s.Tables {
			p("**%s**\n\n| %s |\n|%s\n", t.Title, strings.Join(t.Columns, " | "), strings.Repeat("---:|", len(t.Columns)))
			for _, row := range t.Rows {
				p("| %s |\n", strings.Join(row, " | "))
			}
			p("\n")
		}
		if len(s.Phases) > 0 {
			p("| system | phase | op | mode | workers | offered/s | done op/s | events/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | unsent |\n")
			p("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, ph := range s.Phases {
				x := ph.Result
				offered := "—"
				if x.OfferedRate > 0 {
					offered = num(x.OfferedRate)
				}
				ev := "—"
				if ph.Op == "ingest" {
					ev = num(x.UnitsPerSec)
				}
				p("| %s | %s | %s | %s | %d | %s | %s | %s | %.3f | %.3f | %.3f | %.3f | %.2f | %d | %d |\n",
					ph.System, ph.Name, ph.Op, x.Mode, x.Workers, offered, num(x.OpsPerSec), ev,
					x.Latency.P50, x.Latency.P90, x.Latency.P99, x.Latency.P999, x.Latency.Max, x.Errors, x.Unsent)
			}
			p("\n")
			for _, ph := range s.Phases {
				for k, v := range ph.Result.ErrorKinds {
					p("- %s %s %s: %d × `%s`\n", ph.System, ph.Name, ph.Op, v, esc(k))
				}
			}
		}
		for _, n := range s.Notes {
			p("- %s\n", esc(n))
		}
		if len(s.Notes) > 0 {
			p("\n")
		}
		for _, pl := range s.Plots {
			p("![%s](%s)\n\n", pl, pl)
		}
	}
	return b.Bytes()
}

// targetsMarkdown renders issue 19's figures against their targets.
func targetsMarkdown(b *bytes.Buffer, rows []TargetRow) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "## Targets (issue 19)\n\nEach figure of this run against its target; ratios are Burndown ÷ the named reference, measured in this run.\n\n")
	fmt.Fprintf(b, "| figure | measured | target | status | from |\n|---|---:|---:|---|---|\n")
	for _, t := range rows {
		measured := "—"
		if t.Missing == "" {
			measured = num(t.Measured) + unitSuffix(t.Unit)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", esc(t.Figure), measured, t.Target(), esc(t.Status()), esc(t.Detail))
	}
	b.WriteString("\n")
}

// num prints a figure with sensible precision.
func num(v float64) string {
	switch {
	case v >= 1000 || v <= -1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// esc keeps free text from breaking a markdown table.
func esc(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

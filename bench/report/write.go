package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Write creates dir and writes report.json, report.md and the SVG plots into it.
func Write(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report dir: %w", err)
	}
	for _, s := range r.Scenarios {
		s.Plots = s.Plots[:0]
		for _, c := range charts(s) {
			if err := os.WriteFile(filepath.Join(dir, c.file), c.svg, 0o644); err != nil {
				return fmt.Errorf("write plot: %w", err)
			}
			s.Plots = append(s.Plots, c.file)
		}
	}
	r.Targets = Targets(r)
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), Markdown(r), 0o644); err != nil {
		return fmt.Errorf("write report.md: %w", err)
	}
	return nil
}

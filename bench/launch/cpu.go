package launch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// CPUTimes is the machine's cumulative CPU time from /proc/stat, in clock
// ticks: busy (user, nice, system, irq, softirq, steal) and the total.
type CPUTimes struct{ Busy, Total uint64 }

// ReadCPUTimes reads the first ("cpu") line of /proc/stat.
func ReadCPUTimes() (CPUTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUTimes{}, fmt.Errorf("cpu times: %w", err)
	}
	return parseCPUTimes(b)
}

// parseCPUTimes reads the aggregate "cpu" line of a /proc/stat text.
func parseCPUTimes(stat []byte) (CPUTimes, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[0]) != "cpu" {
		return CPUTimes{}, fmt.Errorf("cpu times: unexpected first line %q", line)
	}
	var t CPUTimes
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("cpu times: field %d: %w", i+1, err)
		}
		t.Total += n
		// Fields: user nice system idle iowait irq softirq steal guest guest_nice;
		// guest time is already counted in user, idle and iowait are not busy.
		if i != 3 && i != 4 && i < 8 {
			t.Busy += n
		}
	}
	return t, nil
}

// BusySince is the fraction of CPU time that was busy between earlier and t
// (0 when no time passed).
func (t CPUTimes) BusySince(earlier CPUTimes) float64 {
	total := t.Total - earlier.Total
	if total == 0 || t.Total < earlier.Total {
		return 0
	}
	return float64(t.Busy-earlier.Busy) / float64(total)
}

// ProcessTimes maps each process id to its name and cumulative CPU ticks
// (user + system), read from /proc/<pid>/stat.
type ProcessTimes map[int]ProcessTime

// ProcessTime is one process's name and cumulative CPU ticks.
type ProcessTime struct {
	Name  string
	Ticks uint64
}

// ReadProcessTimes reads every process's CPU ticks; processes that end while
// it reads are left out.
func ReadProcessTimes() (ProcessTimes, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, fmt.Errorf("process times: %w", err)
	}
	pt := ProcessTimes{}
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // ended
		}
		if pid, p, ok := parseProcessStat(b); ok {
			pt[pid] = p
		}
	}
	return pt, nil
}

// parseProcessStat reads pid, name, utime and stime of a /proc/<pid>/stat
// text; the name is in parentheses and may hold spaces.
func parseProcessStat(b []byte) (int, ProcessTime, bool) {
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return 0, ProcessTime{}, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return 0, ProcessTime{}, false
	}
	// After the name: state ppid pgrp session tty_nr tpgid flags minflt
	// cminflt majflt cmajflt utime stime (fields 3..15 of the stat line).
	f := bytes.Fields(b[closing+1:])
	if len(f) < 13 {
		return 0, ProcessTime{}, false
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, ProcessTime{}, false
	}
	return pid, ProcessTime{Name: string(b[open+1 : closing]), Ticks: ut + st}, true
}

// Busiest names the n processes that used the most CPU ticks between
// earlier and p, busiest first, with their ticks.
func (p ProcessTimes) Busiest(earlier ProcessTimes, n int) []ProcessTime {
	var out []ProcessTime
	for pid, now := range p {
		before, ok := earlier[pid]
		if !ok || now.Ticks <= before.Ticks {
			continue
		}
		out = append(out, ProcessTime{Name: fmt.Sprintf("%s[%d]", now.Name, pid), Ticks: now.Ticks - before.Ticks})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ticks > out[j].Ticks })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

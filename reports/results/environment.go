package results

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/internal/version"
)

// CurrentEnvironment describes this process's machine and build, with Start
// set to start and End left for the caller to set when the run ends. It reads
// /proc for the CPU model and kernel release and records nothing personal
// (no host name, user or path).
func CurrentEnvironment(start time.Time) Environment {
	ver, commit, dirty := version.Info()
	return Environment{
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		GOAMD64:   goamd64(),
		CPUModel:  cpuModel(),
		Cores:     runtime.NumCPU(),
		Kernel:    kernelRelease(),
		Version:   ver,
		Commit:    commit,
		Modified:  dirty,
		Start:     start.UTC(),
	}
}

// goamd64 returns the GOAMD64 level the binary was built for ("v1" when the
// build info does not say, which is the toolchain's default).
func goamd64() string {
	if runtime.GOARCH != "amd64" {
		return ""
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOAMD64" {
				return s.Value
			}
		}
	}
	return "v1"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	return parseCPUModel(b)
}

// parseCPUModel returns the first "model name" (x86) or, failing that,
// "Model"/"Hardware"/"cpu model" (arm, mips) of /proc/cpuinfo text.
func parseCPUModel(b []byte) string {
	var fallback string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.Join(strings.Fields(v), " ")
		switch k {
		case "model name":
			if v != "" {
				return v
			}
		case "Model", "Hardware", "cpu model":
			if fallback == "" {
				fallback = v
			}
		}
	}
	if fallback != "" {
		return fallback
	}
	return "unknown"
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

package veth

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Capability numbers from linux/capability.h.
const (
	capNetAdmin = 12
	capNetRaw   = 13
	capSysAdmin = 21
	capSysNice  = 23
)

// hasCap reports whether the process holds capability bit c effectively.
func hasCap(c uint) bool {
	eff, err := effectiveCaps()
	return err == nil && eff&(1<<c) != 0
}

// PrivilegeError says which capabilities the process lacks for an
// operation, and what each one is needed for.
type PrivilegeError struct {
	// Missing lists the absent capabilities by name, for example
	// "CAP_NET_ADMIN".
	Missing []string
	// Why maps each missing capability to what it is needed for.
	Why map[string]string
}

// Error names every missing capability and what it is for.
func (e *PrivilegeError) Error() string {
	var b strings.Builder
	b.WriteString("veth: missing permission:")
	for i, c := range e.Missing {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s (%s)", c, e.Why[c])
	}
	b.WriteString("; run as root or grant them, e.g. `sudo setcap cap_net_admin,cap_net_raw,cap_sys_admin+ep sessionlab`")
	return b.String()
}

// CheckPrivileges reports whether the process holds the effective
// capabilities that building a topology and driving it need:
// CAP_SYS_ADMIN (create and enter network namespaces, bind-mount them under
// /run/netns), CAP_NET_ADMIN (create veth links, set addresses and MTU) and
// CAP_NET_RAW (AF_PACKET sockets). It returns a *PrivilegeError naming each
// one that is missing. Being uid 0 is neither necessary nor sufficient (a
// container's root may lack them), so the check reads the capability set.
func CheckPrivileges() error {
	eff, err := effectiveCaps()
	if err != nil {
		return fmt.Errorf("veth: cannot read capabilities: %w", err)
	}
	return missingCaps(eff)
}

func missingCaps(eff uint64) error {
	need := []struct {
		bit  uint
		name string
		why  string
	}{
		{capSysAdmin, "CAP_SYS_ADMIN", "create and enter network namespaces"},
		{capNetAdmin, "CAP_NET_ADMIN", "create veth links and configure them"},
		{capNetRaw, "CAP_NET_RAW", "open AF_PACKET sockets"},
	}
	var e *PrivilegeError
	for _, n := range need {
		if eff&(1<<n.bit) == 0 {
			if e == nil {
				e = &PrivilegeError{Why: map[string]string{}}
			}
			e.Missing = append(e.Missing, n.name)
			e.Why[n.name] = n.why
		}
	}
	if e == nil {
		return nil
	}
	return e
}

// effectiveCaps parses CapEff from /proc/self/status.
func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseCapEff(bufio.NewScanner(f))
}

func parseCapEff(sc *bufio.Scanner) (uint64, error) {
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("CapEff %q: %w", strings.TrimSpace(v), err)
			}
			return caps, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no CapEff line in /proc/self/status")
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCaptureUpToDate regenerates the capture and compares it with the
// embedded one, so the committed file is always what this program writes.
func TestCaptureUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "default.pcap")
	if err := run(out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../data/default.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("scenarios/data/default.pcap is stale: run go generate ./scenarios")
	}
}

package shm

import (
	"sync/atomic"
	"testing"
	"unsafe"
)

func TestHeapAlignment(t *testing.T) {
	for _, n := range []int{1, 63, 64, 4097} {
		r, err := NewHeap(n)
		if err != nil {
			t.Fatal(err)
		}
		if uintptr(unsafe.Pointer(&r.Bytes()[0]))%CacheLine != 0 || r.Size() < n || r.Shared() || r.Fd() != -1 {
			t.Fatalf("heap region of %d: size %d shared %v", n, r.Size(), r.Shared())
		}
	}
	if _, err := NewHeap(0); err == nil {
		t.Fatal("zero-size heap region accepted")
	}
}

func TestSharedMappings(t *testing.T) {
	a, err := Create("shm-test", 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Size() != 8192 || !a.Shared() {
		t.Fatalf("size %d shared %v", a.Size(), a.Shared())
	}
	b, err := Attach(a.Fd())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.ID() != b.ID() || a.ID() == [2]uint64{} {
		t.Fatalf("ids differ: %v %v", a.ID(), b.ID())
	}
	atomic.StoreUint64(Uint64At(a.Bytes(), 4096), 42)
	if v := atomic.LoadUint64(Uint64At(b.Bytes(), 4096)); v != 42 {
		t.Fatalf("second mapping read %d", v)
	}
	if _, err := Attach(-1); err == nil {
		t.Fatal("attach to a bad fd succeeded")
	}
}

func TestWaitWake(t *testing.T) {
	r, _ := NewHeap(64)
	w := Uint32At(r.Bytes(), 0)
	Wait(w, 1) // value differs: returns at once
	atomic.StoreUint32(w, 1)
	done := make(chan struct{})
	go func() {
		for atomic.LoadUint32(w) == 1 {
			Wait(w, 1)
		}
		close(done)
	}()
	atomic.StoreUint32(w, 0)
	Wake(w, 1)
	<-done
}

func TestCheck(t *testing.T) {
	if err := Check(100, 96, 4, 4, "x"); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][3]uint64{{97, 4, 1}, {101, 0, 1}, {2, 4, 4}, {0, ^uint64(0), 1}} {
		if err := Check(100, c[0], c[1], c[2], "x"); err == nil {
			t.Fatalf("Check(100, %v) accepted", c)
		}
	}
}

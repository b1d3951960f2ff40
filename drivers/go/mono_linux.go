package main

import (
	"syscall"
	"unsafe"
)

// clockMonotonic is CLOCK_MONOTONIC from <time.h>.
const clockMonotonic = 1

// monoNow is CLOCK_MONOTONIC in nanoseconds, the clock of every event's
// mono_ns. It is read with clock_gettime(2) itself, not derived from
// time.Now, so that it is the very clock other processes on the machine
// (the harness, the other drivers) read.
func monoNow() uint64 {
	var ts syscall.Timespec
	// clock_gettime cannot block: RawSyscall skips the scheduler hand-off.
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0)
	return uint64(ts.Sec)*1_000_000_000 + uint64(ts.Nsec)
}

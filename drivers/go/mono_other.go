//go:build !linux

package main

import "time"

var processStart = time.Now()

// monoNow off Linux: nanoseconds since the driver started. It is not shared
// with other processes, so events of different drivers cannot be ordered;
// natsfault itself runs on Linux only.
func monoNow() uint64 {
	return uint64(time.Since(processStart))
}

//go:build unix

package main

import (
	"runtime"
	"syscall"
	"time"
)

// rusage reads the process's CPU time and peak resident memory.
func rusage() procUsage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return procUsage{}
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	rss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		rss *= 1024 // Linux and the BSDs report KiB, Darwin bytes
	}
	return procUsage{cpu: cpu, maxRSS: rss}
}

//go:build !unix

package main

// rusage has no portable source of CPU time and peak memory here: the
// benchmarks print wall time, and "n/a" for the rest.
func rusage() procUsage { return procUsage{} }

//go:build race

package sftpsource_test

const raceEnabled = true

// Package drivertest is the conformance suite of hes drivers: every driver
// runs RunConformanceTests with a Harness over its backing store, so that
// all sources behave alike for hes.Fetch, hes.Pull and hes.Run.
package drivertest

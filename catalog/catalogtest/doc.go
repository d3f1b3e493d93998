// Package catalogtest is the conformance suite of catalog drivers, in the
// style of gocloud.dev's drivertest: a driver's test builds a Harness and
// calls RunConformanceTests, which checks the semantics that package
// catalog promises on top of any driver (idempotent creation and updates,
// batched and idempotent partition registration, filtering, dropping,
// error codes, and concurrent writers losing nothing).
package catalogtest

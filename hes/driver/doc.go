// Package driver defines the interface that hes sources implement. Users of
// the library use the portable type hes.Source; only driver authors need
// this package. Each method may be called concurrently with others on
// different objects, but hes calls them for one object in order: Open, then
// Ack or Nack.
package driver

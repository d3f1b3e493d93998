package catalog

import (
	"fmt"
	"slices"
)

// Filter selects partitions by their values. The zero Filter (or nil)
// selects every partition; the conditions are ANDed.
//
// Values are compared as strings, so ranges are meaningful for values of a
// fixed width, such as the lake's zero-padded year, month, day and hour.
type Filter struct {
	// Values maps partition keys to the values they may take (key IN
	// values). A key mapped to an empty list selects nothing.
	Values map[string][]string
	// Range, if not nil, bounds the tuple of some keys' values.
	Range *Range
}

// Range selects partitions whose values of Keys, as a tuple compared
// lexicographically (and each value as a string), lie in [From, To). From
// and To each hold one value per key, or are nil for no bound.
//
// For example, Keys year, month, day, hour with From 2024,03,01,10 and To
// 2024,03,02,00 select the 14 hours from 10:00 on 1 March 2024.
type Range struct {
	Keys     []string
	From, To []string
}

// Validate checks f against a table's partition keys: every key named must
// be one, values must be valid partition values, and a Range must have one
// bound value per key.
func (f *Filter) Validate(partitionKeys []string) error {
	if f == nil {
		return nil
	}
	for k, vs := range f.Values {
		if !slices.Contains(partitionKeys, k) {
			return fmt.Errorf("filter: %q is not a partition key", k)
		}
		for _, v := range vs {
			if err := validateValues([]string{v}, 1); err != nil {
				return fmt.Errorf("filter: key %s: %w", k, err)
			}
		}
	}
	if r := f.Range; r != nil {
		if len(r.Keys) == 0 {
			return fmt.Errorf("filter: range has no keys")
		}
		for _, k := range r.Keys {
			if !slices.Contains(partitionKeys, k) {
				return fmt.Errorf("filter: range key %q is not a partition key", k)
			}
		}
		for _, b := range [][]string{r.From, r.To} {
			if b == nil {
				continue
			}
			if err := validateValues(b, len(r.Keys)); err != nil {
				return fmt.Errorf("filter: range bound: %w", err)
			}
		}
	}
	return nil
}

// Match reports whether a partition with the given values of the given
// keys passes f. It is the reference semantics that every driver's
// ListPartitions must implement; drivers without server-side filtering
// call it.
func (f *Filter) Match(partitionKeys, values []string) bool {
	if f == nil {
		return true
	}
	get := func(key string) (string, bool) {
		i := slices.Index(partitionKeys, key)
		if i < 0 || i >= len(values) {
			return "", false
		}
		return values[i], true
	}
	for k, allowed := range f.Values {
		v, ok := get(k)
		if !ok || !slices.Contains(allowed, v) {
			return false
		}
	}
	if r := f.Range; r != nil {
		tuple := make([]string, len(r.Keys))
		for i, k := range r.Keys {
			v, ok := get(k)
			if !ok {
				return false
			}
			tuple[i] = v
		}
		if r.From != nil && slices.Compare(tuple, r.From) < 0 {
			return false
		}
		if r.To != nil && slices.Compare(tuple, r.To) >= 0 {
			return false
		}
	}
	return true
}

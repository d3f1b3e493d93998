// Package atomicfile creates a file only if its name is free, atomically
// across processes: a temporary file written in full, then hard-linked to
// the name, which fails if the name exists. fileblob's IfNotExist checks
// and then renames, which two writers can both pass; the lake's locks and
// the local catalog's manifests need the real thing.
package atomicfile

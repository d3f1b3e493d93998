// Package folder is the drop-folder logic shared by the dropsource (any
// bucket) and sftpsource (an SFTP directory) drivers, over a small file
// system interface.
//
// Layout under the folder's root:
//
//	<name>                      new files, dropped by the producer
//	processing/<name>.claim     the claim of the fetcher working on <name> (JSON)
//	processing/<name>.attempts  failed attempts so far (JSON)
//	archive/<name>              files acknowledged
//	poison/<name>               files quarantined, with poison/<name>.error.json
//
// A claim is created exclusively (a conditional write), so two fetchers
// never both take a file; a claim older than the claim timeout is taken
// over, so a fetcher that died loses nothing. Names that start with "."
// or "_" or end in ".tmp" are ignored: they are files being written.
package folder

// Package dropsource is the hes driver for drop folders in any bucket
// (file, S3, memory...): a producer writes files under the folder's prefix;
// a fetcher claims each new file with a conditional write of
// processing/<name>.claim (so two fetchers never take the same file),
// lands it, and on acknowledgement moves it to archive/. A file that fails
// processing MaxAttempts times moves to poison/ with a .error.json. A claim
// whose fetcher died is taken over after ClaimTimeout.
//
// Importing the package registers the scheme prefix "drop+" on
// hes.DefaultURLMux: drop+file:///dir, drop+s3://bucket/prefix, ...
package dropsource

// Package sftpsource is the hes driver for SFTP directories (the
// guidance's head-end serves its exports over SFTP), with
// github.com/pkg/sftp. It works like package dropsource: files are claimed
// with an exclusive create of processing/<name>.claim, archived to
// archive/ and quarantined to poison/.
//
// Importing the package registers the scheme "sftp" on hes.DefaultURLMux:
// sftp://user@host:22/dir?key=/path/to/id_ed25519. Host keys are checked
// against known_hosts unless insecure_ignore_host_key=true (the guidance's
// paramiko AutoAddPolicy accepted any host).
package sftpsource

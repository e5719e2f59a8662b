// Package faulttest holds the fault tests of paperpicks: they build the
// binary, run `paperpicks serve`, `ingest` and `rank` as child processes
// on SQLite and PostgreSQL, kill them with SIGKILL mid-work, stop the
// database under a running service, and shut it down with SIGTERM, then
// check that nothing acknowledged was lost and that the service recovers.
// Everything is in the _test.go files; `go test ./faulttest` runs them.
package faulttest

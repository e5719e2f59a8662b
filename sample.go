package paperpicks

import _ "embed"

// SampleCatalog is testdata/papers.jsonl: the 119 papers of a real
// "trending papers" page, which `serve` loads into an empty catalog so a
// first start has something to recommend.
//
//go:embed testdata/papers.jsonl
var SampleCatalog []byte

// Package shapes holds the benchmarks whose loop changed after Go 1.19,
// written the way go1.23.5's sync/map_bench_test.go runs them, so that
// `cargo xtask bench-report` can measure the installed Go's sync.Map on the
// loop our benchmarks run. It is used only when the installed Go is older
// than the version whose own benchmark has that loop (see SHAPE_SINCE in
// code/xtask/src/bench_report.rs).
package shapes

import (
	"sync"
	"testing"
)

// BenchmarkLoadAndDeleteCollision: every goroutine deletes key 0 and, if
// its delete was the one that found it, stores the key back. (Go 1.19's
// benchmark of this name only deletes.) The sub-benchmark is named as
// sync's own are, so the report files it under "Go sync.Map".
func BenchmarkLoadAndDeleteCollision(b *testing.B) {
	b.Run("*sync.Map", func(b *testing.B) {
		var m sync.Map
		m.LoadOrStore(0, 0)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, loaded := m.LoadAndDelete(0); loaded {
					m.Store(0, 0)
				}
			}
		})
	})
}

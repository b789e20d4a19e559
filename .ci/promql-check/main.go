// Command promql-check validates Prometheus rule files the way Prometheus loads them: YAML structure, PromQL of every
// expr, and the Go templates of labels and annotations, through the rulefmt package of Prometheus itself (the code
// `promtool check rules` runs). It prints one line per rule file and exits 1 if any file has an error.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: promql-check RULEFILE...")
		os.Exit(2)
	}
	// Defaults of a Prometheus server: stable functions only, UTF-8 metric names allowed when quoted.
	p := parser.NewParser(parser.Options{})
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	failed := false
	for _, file := range os.Args[1:] {
		groups, errs := rulefmt.ParseFile(file, false, model.UTF8Validation, p, logger)
		if len(errs) > 0 {
			failed = true
			for _, err := range errs {
				fmt.Printf("FAILED: %s: %v\n", file, err)
			}
			continue
		}
		rules := 0
		for _, g := range groups.Groups {
			rules += len(g.Rules)
		}
		fmt.Printf("SUCCESS: %s: %d rules found\n", file, rules)
	}
	if failed {
		os.Exit(1)
	}
}

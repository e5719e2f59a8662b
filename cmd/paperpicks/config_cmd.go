package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/paperpicks/paperpicks/config"
)

func init() {
	register(&command{name: "config", usage: "[--markdown]", summary: "print the effective configuration, or the table of every key",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			md := fs.Bool("markdown", false, "print the README table of every key")
			return func(ctx context.Context, e *env, args []string) error {
				if *md {
					_, err := fmt.Fprint(e.stdout, config.Markdown())
					return err
				}
				values := map[string]string{}
				for _, k := range config.Keys() {
					v := config.Value(e.cfg, k)
					if k.Secret && v != "" {
						v = "(set)"
					}
					values[k.Path] = v
				}
				if e.json {
					return printJSON(e.stdout, values)
				}
				for _, k := range config.Keys() {
					fmt.Fprintf(e.stdout, "%s = %s\n", k.Path, values[k.Path])
				}
				return nil
			}
		}})
}

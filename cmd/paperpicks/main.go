// Command paperpicks is the paper recommender: the service (serve) and the
// operator's tools (ingest, reindex, eval, …), all in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/paperpicks/paperpicks"
	"github.com/paperpicks/paperpicks/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "paperpicks:", paperpicks.ErrorMessage(err))
		if paperpicks.ErrorCode(err) == paperpicks.EINTERNAL {
			fmt.Fprintln(os.Stderr, "  cause:", err)
		}
		os.Exit(1)
	}
}

// env is what every command gets: parsed global options and the streams.
type env struct {
	cfg     *config.Config
	json    bool
	environ []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	usage   string // arguments, after the name
	summary string
	// flags registers the command's own flags; run gets the positional
	// arguments after flags are parsed.
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// run is main without the process: testable, with its environment given.
func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	global := flag.NewFlagSet("paperpicks", flag.ContinueOnError)
	global.SetOutput(stderr)
	cfgFlags := config.Flags{}
	cfgFlags.Register(global)
	jsonOut := global.Bool("json", false, "machine-readable JSON output")
	cfgFile := global.String("config", "", "configuration file (default: <data>/paperpicks.toml when it exists; env PAPERPICKS_CONFIG)")
	cpuprofile := global.String("cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof)")
	memprofile := global.String("memprofile", "", "write a heap profile to this file when the command ends (go tool pprof; -sample_index=alloc_space shows what allocated most)")
	global.Usage = func() { usage(stderr, global) }
	if err := global.Parse(args); err != nil {
		return err
	}
	rest := global.Args()
	if len(rest) == 0 {
		usage(stderr, global)
		return flag.ErrHelp
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 && commands[rest[1]] != nil {
			return run(ctx, []string{rest[1], "--help"}, environ, stdin, stdout, stderr)
		}
		usage(stdout, global)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		return paperpicks.Errorf(paperpicks.EINVALID, "unknown command %q; run `paperpicks help`", name)
	}

	fs := flag.NewFlagSet("paperpicks "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFlags.Register(fs) // config flags work after the command name too
	fs.BoolVar(jsonOut, "json", *jsonOut, "machine-readable JSON output")
	runCmd := cmd.flags(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: paperpicks [global flags] %s %s\n\n%s\n\nflags:\n", name, cmd.usage, cmd.summary)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, rest[1:])
	if err != nil {
		return err
	}
	if *cfgFile == "" {
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, "PAPERPICKS_CONFIG="); ok {
				*cfgFile = v
			}
		}
	}
	cfg, err := config.Load(*cfgFile, environ, cfgFlags)
	if err != nil {
		return err
	}
	if cfg.MemoryLimitMiB > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimitMiB << 20)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		defer func() {
			if f, err := os.Create(*memprofile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	return runCmd(ctx, &env{cfg: cfg, json: *jsonOut, environ: environ, stdin: stdin, stdout: stdout, stderr: stderr}, pos)
}

// parseInterspersed lets flags follow positional arguments ("similar ID -k 5").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer, global *flag.FlagSet) {
	fmt.Fprintf(w, "paperpicks: personalized daily picks of research papers\n\nusage: paperpicks [global flags] <command> [arguments]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun `paperpicks <command> --help` for a command's flags.\n\nglobal flags:\n")
	global.SetOutput(w)
	global.PrintDefaults()
}

// wantArgs checks the number of positional arguments.
func wantArgs(args []string, n int, what string) error {
	if len(args) != n {
		return paperpicks.Errorf(paperpicks.EINVALID, "want %s, got %d argument(s)", what, len(args))
	}
	return nil
}

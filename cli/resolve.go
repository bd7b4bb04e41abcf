package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/resolve"
)

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runResolve(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "resolve", "[--apply] [--train] [flags] | --eval TRUTH.csv [--json]",
		"Finds the people behind the source records with the probabilistic matcher and compares them with the\n"+
			"customers as they are. Without --apply it only reports what it would merge, split and queue for review\n"+
			"(a dry run). --train re-estimates the model and stores it as a new version, with its fields and thresholds,\n"+
			"which later runs and every upsert then use; without a stored model a run trains one (a dry run keeps it\n"+
			"for itself only).\n"+
			"Staff decisions are kept: dismissed pairs stay apart, merges by people stay merged.\n\n"+
			"--eval scores how the stored customers cluster the source records against a ground truth\n"+
			"(channel,external_id,person_id, as `kizuna demo --truth FILE` writes): pairwise and B-cubed\n"+
			"precision, recall and F1, and cluster counts.")
	cfg.BindDB(fs, e.Getenv)
	evalPath := fs.String("eval", "", "ground-truth CSV to score the current clustering against")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	apply := fs.Bool("apply", false, "carry out the merges and splits and queue the doubtful pairs for review")
	train := fs.Bool("train", false, "re-estimate the model from the data and store it as a new version")
	show := fs.Int("show", 10, "merges and splits to list")
	auto := fs.Float64("auto-merge", 0, fmt.Sprintf("merge pairs at or above this match probability (default: the stored model's, else %.2f; --train stores it with the model, for upserts too)", resolve.DefaultAutoMerge))
	review := fs.Float64("review", 0, fmt.Sprintf("queue pairs at or above this probability (and below --auto-merge) for review (default: the stored model's, else %.2f; stored by --train)", resolve.DefaultReview))
	defaultFields := fs.Bool("default-fields", false, "compare the default fields only, without the custom ones the stored model compares (with --train)")
	maxBlock := fs.Int("max-block", resolve.DefaultMaxBlock, "skip blocking keys held by more records than this")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for tuning)")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file at the end (for tuning)")
	var extra listFlag
	fs.Var(&extra, "field", "also compare a custom attribute: NAME:KIND, KIND one of "+kinds()+" (repeatable; changing fields needs --train)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *evalPath != "" {
		return evalClusters(ctx, e, &cfg, *evalPath, *asJSON)
	}
	// Without --field the stored model's fields are compared (custom ones
	// included); --field gives the defaults and these.
	var fields []resolve.Field
	if len(extra) > 0 {
		fields = resolve.DefaultFields()
	}
	for _, f := range extra {
		name, kind, ok := strings.Cut(f, ":")
		name = strings.TrimPrefix(name, "attr.")
		if !ok || name == "" || !isKind(resolve.Kind(kind)) {
			return fmt.Errorf("--field %q: want NAME:KIND with KIND one of %s: %w", f, kinds(), errUsage)
		}
		fields = append(fields, resolve.AttributeField(name, resolve.Kind(kind)))
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if *memProfile != "" {
		defer func() {
			if f, err := os.Create(*memProfile); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	// A million customers hold about 1.2 GB of live data while resolving;
	// without a limit the collector lets the heap grow to several times
	// that. Keep the process under 2 GiB unless GOMEMLIMIT says otherwise
	// (the heap limit leaves room for SQLite's page cache and the runtime).
	if e.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(1600 << 20)) // as it was after the command
	}
	pr := newProgress(e.Stderr, "")
	pr.silent = *asJSON && !isTerminal(e.Stderr)
	start := time.Now()
	svc := identity.New(db, db)
	rep, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{
		Train: *train, Apply: *apply, Show: *show, DefaultFields: *defaultFields,
		Match: resolve.Options{Fields: fields, AutoMerge: *auto, Review: *review, MaxBlock: *maxBlock, Progress: pr.Update},
	})
	pr.Done()
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.Stdout).Encode(rep)
	}
	w := e.Stdout
	verb := map[bool]string{false: "would ", true: ""}[rep.Applied]
	model := fmt.Sprintf("model version %d", rep.ModelVersion)
	switch {
	case rep.Trained && rep.ModelStored:
		model += " (trained now)"
	case rep.Trained:
		model = "a model trained for this run and not stored (a dry run changes nothing; --train stores it)"
	}
	fmt.Fprintf(w, "%s, merging at p ≥ %.3g and queueing for review at p ≥ %.3g; %d source records in %d customers; %d candidate pairs",
		model, rep.AutoMerge, rep.Review, rep.Records, rep.Customers, rep.CandidatePairs)
	if rep.SkippedBlocks > 0 {
		fmt.Fprintf(w, " (%d blocking keys too common to use)", rep.SkippedBlocks)
	}
	fmt.Fprintf(w, "\n%d people: %smerge %d customers, %smove %d groups of records out of customers they do not belong to; %d pairs for staff to review\n",
		rep.People, verb, rep.MergeCount, verb, rep.SplitCount, rep.ReviewCount)
	if rep.ClearedCount > 0 {
		fmt.Fprintf(w, "%d pairs a rule had flagged taken off the review queue: the model scores them below review\n", rep.ClearedCount)
	}
	for _, m := range rep.Merges {
		fmt.Fprintf(w, "  merge %s into %s  p=%.3f  %s\n", m.MergedID, m.SurvivorID, m.Probability, evidenceLine(m.Evidence))
	}
	if rep.MergeCount > len(rep.Merges) {
		fmt.Fprintf(w, "  … %d more merges\n", rep.MergeCount-len(rep.Merges))
	}
	for _, s := range rep.Splits {
		to := s.ToID
		if to == "" {
			to = "a new customer"
		}
		why := evidenceLine(s.Evidence)
		if s.Conflict != "" {
			why = s.Conflict + " conflicts; " + why
		}
		fmt.Fprintf(w, "  move %s out of %s to %s  %s\n", strings.Join(s.ProfileIDs, ","), s.CustomerID, to, why)
	}
	if rep.SplitCount > len(rep.Splits) {
		fmt.Fprintf(w, "  … %d more moves\n", rep.SplitCount-len(rep.Splits))
	}
	if !rep.Applied {
		fmt.Fprintln(w, "dry run: nothing changed; run with --apply to carry it out")
	}
	fmt.Fprintf(w, "done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func kinds() string {
	var out []string
	for _, k := range resolve.Kinds {
		out = append(out, string(k))
	}
	return strings.Join(out, ", ")
}

func isKind(k resolve.Kind) bool {
	for _, x := range resolve.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// evidenceLine is the non-missing evidence, one field=level(+weight) each.
func evidenceLine(ev []customer.Evidence) string {
	var parts []string
	for _, x := range ev {
		if x.Level != "missing" {
			parts = append(parts, fmt.Sprintf("%s=%s(%+.1f)", x.Field, x.Level, x.Weight))
		}
	}
	return strings.Join(parts, " ")
}

func evalClusters(ctx context.Context, e *Env, cfg *config.Config, path string, asJSON bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	truth, err := resolve.ReadTruth(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	db, err := validOpen(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	predicted := map[customer.ExternalRef]string{}
	if err := db.EachSourceRef(ctx, func(r customer.ExternalRef, id string) error { predicted[r] = id; return nil }); err != nil {
		return err
	}
	m := resolve.Evaluate(truth, predicted)
	if asJSON {
		return json.NewEncoder(e.Stdout).Encode(m)
	}
	fmt.Fprintf(e.Stdout, "records: %d scored (%d in the truth file but not in the database)\n", m.Records, m.MissingRecords)
	fmt.Fprintf(e.Stdout, "clusters: %d customers for %d real people\n", m.Clusters, m.TrueClusters)
	fmt.Fprintf(e.Stdout, "pairwise: precision %.4f  recall %.4f  F1 %.4f  (%d of %d predicted pairs correct; %d true pairs)\n",
		m.PairwisePrecision, m.PairwiseRecall, m.PairwiseF1, m.CorrectPairs, m.PredictedPairs, m.TruePairs)
	fmt.Fprintf(e.Stdout, "B-cubed:  precision %.4f  recall %.4f  F1 %.4f\n", m.BCubedPrecision, m.BCubedRecall, m.BCubedF1)
	return nil
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/resolve"
)

func runResolve(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "resolve", "--eval TRUTH.csv [--json]",
		"--eval scores how the stored customers cluster the source records against a ground truth\n"+
			"(channel,external_id,person_id, as `kizuna demo --truth FILE` writes): pairwise and B-cubed\n"+
			"precision, recall and F1, and cluster counts. Batch re-matching is not built yet.")
	cfg.BindDB(fs, e.Getenv)
	evalPath := fs.String("eval", "", "ground-truth CSV to score the current clustering against")
	asJSON := fs.Bool("json", false, "print the scores as one JSON object")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *evalPath == "" {
		fs.Usage()
		return fmt.Errorf("kizuna resolve: give --eval TRUTH.csv (batch matching is not built yet): %w", errUsage)
	}
	f, err := os.Open(*evalPath)
	if err != nil {
		return err
	}
	defer f.Close()
	truth, err := resolve.ReadTruth(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *evalPath, err)
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	predicted := map[customer.ExternalRef]string{}
	if err := db.EachSourceRef(ctx, func(r customer.ExternalRef, id string) error { predicted[r] = id; return nil }); err != nil {
		return err
	}
	m := resolve.Evaluate(truth, predicted)
	if *asJSON {
		enc := json.NewEncoder(e.Stdout)
		return enc.Encode(m)
	}
	fmt.Fprintf(e.Stdout, "records: %d scored (%d in the truth file but not in the database)\n", m.Records, m.MissingRecords)
	fmt.Fprintf(e.Stdout, "clusters: %d customers for %d real people\n", m.Clusters, m.TrueClusters)
	fmt.Fprintf(e.Stdout, "pairwise: precision %.4f  recall %.4f  F1 %.4f  (%d of %d predicted pairs correct; %d true pairs)\n",
		m.PairwisePrecision, m.PairwiseRecall, m.PairwiseF1, m.CorrectPairs, m.PredictedPairs, m.TruePairs)
	fmt.Fprintf(e.Stdout, "B-cubed:  precision %.4f  recall %.4f  F1 %.4f\n", m.BCubedPrecision, m.BCubedRecall, m.BCubedF1)
	return nil
}

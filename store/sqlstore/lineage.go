package sqlstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
)

// Lineage is stored in a compact text form. As JSON it was about half of a
// customer row (~880 of ~1,700 bytes on the demo data) because every field
// repeated its source record's ID, version, channel and time; a golden record
// draws on a handful of source records, so the compact form lists each once
// and lets every field point at it:
//
//	L2;<id>,<version>,<channel>,<observed unix µs>;…|<field>=<source index><rule>;…
//
// with rule p (source_priority), r (most_recent) or f (most_frequent).
// Rows written as JSON by earlier versions are still read.
const lineagePrefix = "L2"

var ruleCodes = map[customer.Rule]byte{customer.RuleSourcePriority: 'p', customer.RuleMostRecent: 'r', customer.RuleMostFrequent: 'f'}

func ruleOf(code byte) (customer.Rule, bool) {
	for r, c := range ruleCodes {
		if c == code {
			return r, true
		}
	}
	return "", false
}

// encodeLineage returns the stored form of l. Anything the compact form
// cannot carry (a separator inside an ID, an unknown rule) is stored as JSON.
func encodeLineage(l map[string]customer.Lineage) (string, error) {
	fields := make([]string, 0, len(l))
	for f := range l {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	type src struct {
		id, channel string
		version     int
		at          time.Time
	}
	var srcs []src
	var b strings.Builder
	b.WriteString(lineagePrefix)
	var tail strings.Builder
	compact := true
	for i, f := range fields {
		v := l[f]
		code, ok := ruleCodes[v.Rule]
		if !ok || strings.ContainsAny(f, ";|=") || strings.ContainsAny(v.SourceProfileID+v.Channel, ",;|") {
			compact = false
			break
		}
		s := src{id: v.SourceProfileID, channel: v.Channel, version: v.Version, at: v.ObservedAt.UTC()}
		idx := slices.Index(srcs, s)
		if idx < 0 {
			idx = len(srcs)
			srcs = append(srcs, s)
			b.WriteByte(';')
			b.WriteString(s.id)
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(s.version))
			b.WriteByte(',')
			b.WriteString(s.channel)
			b.WriteByte(',')
			b.WriteString(strconv.FormatInt(s.at.UnixMicro(), 10))
			if !s.at.Equal(time.UnixMicro(s.at.UnixMicro())) {
				compact = false // finer than a microsecond: keep it exact as JSON
				break
			}
		}
		if i > 0 {
			tail.WriteByte(';')
		}
		tail.WriteString(f)
		tail.WriteByte('=')
		tail.WriteString(strconv.Itoa(idx))
		tail.WriteByte(code)
	}
	if !compact {
		j, err := json.Marshal(l)
		return string(j), err
	}
	b.WriteByte('|')
	b.WriteString(tail.String())
	return b.String(), nil
}

// decodeLineage reads either stored form.
func decodeLineage(s string) (map[string]customer.Lineage, error) {
	out := map[string]customer.Lineage{}
	rest, ok := strings.CutPrefix(s, lineagePrefix)
	if !ok {
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	head, fields, ok := strings.Cut(rest, "|")
	if !ok {
		return nil, fmt.Errorf("lineage %q: no field list", s)
	}
	var srcs []customer.Lineage
	for part := range strings.SplitSeq(strings.TrimPrefix(head, ";"), ";") {
		if part == "" {
			continue
		}
		p := strings.Split(part, ",")
		if len(p) != 4 {
			return nil, fmt.Errorf("lineage source %q: want id,version,channel,time", part)
		}
		v, err := strconv.Atoi(p[1])
		if err != nil {
			return nil, fmt.Errorf("lineage source %q: version: %w", part, err)
		}
		us, err := strconv.ParseInt(p[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("lineage source %q: time: %w", part, err)
		}
		srcs = append(srcs, customer.Lineage{SourceProfileID: p[0], Version: v, Channel: p[2], ObservedAt: time.UnixMicro(us).UTC()})
	}
	if fields == "" {
		return out, nil
	}
	for part := range strings.SplitSeq(fields, ";") {
		f, ref, ok := strings.Cut(part, "=")
		if !ok || len(ref) < 2 {
			return nil, fmt.Errorf("lineage field %q: want field=<index><rule>", part)
		}
		idx, err := strconv.Atoi(ref[:len(ref)-1])
		if err != nil || idx < 0 || idx >= len(srcs) {
			return nil, fmt.Errorf("lineage field %q: no source %q", part, ref[:len(ref)-1])
		}
		rule, ok := ruleOf(ref[len(ref)-1])
		if !ok {
			return nil, fmt.Errorf("lineage field %q: unknown rule %q", part, ref[len(ref)-1:])
		}
		l := srcs[idx]
		l.Rule = rule
		out[f] = l
	}
	return out, nil
}

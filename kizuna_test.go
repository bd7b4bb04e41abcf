package kizuna

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortsByCreation(t *testing.T) {
	prev := NewID("cus")
	seen := map[string]bool{prev: true}
	for range 50 {
		time.Sleep(2 * time.Millisecond)
		id := NewID("cus")
		if id <= prev || seen[id] || !strings.HasPrefix(id, "cus_") || len(id) != len("cus_")+24 {
			t.Fatalf("id %q after %q: want a later-sorting, unique, prefixed 24-character ID", id, prev)
		}
		seen[id] = true
		prev = id
	}
}

func TestErrorHelpers(t *testing.T) {
	err := fmt.Errorf("saving: %w", FieldError("profile.emails[1]", "not a valid email address: %s", "missing @"))
	if ErrorCode(err) != EINVALID || ErrorField(err) != "profile.emails[1]" || ErrorMessage(err) != "not a valid email address: missing @" {
		t.Fatalf("code %q field %q message %q", ErrorCode(err), ErrorField(err), ErrorMessage(err))
	}
	plain := errors.New("disk on fire")
	if ErrorCode(plain) != EINTERNAL || ErrorMessage(plain) != "internal error" || ErrorCode(nil) != "" {
		t.Fatal("non-domain errors must be internal and not leak their text")
	}
}

func TestNewIDsSortInTheOrderTheyWereMade(t *testing.T) {
	prev := NewID("cus")
	for range 100000 { // many share a millisecond
		id := NewID("cus")
		if id <= prev {
			t.Fatalf("%s made after %s sorts before it", id, prev)
		}
		prev = id
	}
}

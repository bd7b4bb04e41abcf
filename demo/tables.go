package demo

import "sync"

// lookupTables holds the tables derived from the embedded data (postal
// codes, names). They are built once, on first use, and are read-only
// afterwards, so concurrent Generate calls may share them.
type lookupTables struct {
	addressTables
	nameTables
}

// tables returns the shared lookup tables, building them on the first call.
var tables = sync.OnceValue(buildTables)

func buildTables() *lookupTables {
	return &lookupTables{
		addressTables: buildAddressTables(),
		nameTables:    buildNameTables(),
	}
}

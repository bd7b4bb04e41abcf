package customer

// Channel kinds: every way a retailer meets a customer.
const (
	KindStore       = "store"        // own physical stores (POS)
	KindEC          = "ec"           // own e-commerce site
	KindMarketplace = "marketplace"  // Rakuten, Amazon, Yahoo! Shopping
	KindCatalog     = "catalog"      // catalog / mail order (通販)
	KindDeptCounter = "dept_counter" // department-store counter (百貨店)
	KindApp         = "app"          // smartphone app
	KindCallCenter  = "call_center"
	KindOther       = "other"
	// KindManual is the channel of data entered by staff or through the
	// customer API directly; survivorship ranks it first by default.
	KindManual = "manual"
)

// ChannelKinds lists the valid kinds.
var ChannelKinds = []string{KindStore, KindEC, KindMarketplace, KindCatalog, KindDeptCounter, KindApp, KindCallCenter, KindOther, KindManual}

// ManualChannel is the code of the built-in channel for staff/API edits.
const ManualChannel = "manual"

// Channel is a source of customer records.
type Channel struct {
	Code     string `json:"code" doc:"Stable code used by integrations, e.g. ec, rakuten, store"`
	Name     string `json:"name" doc:"Display name (Japanese)"`
	NameEn   string `json:"name_en,omitempty"`
	Kind     string `json:"kind" enum:"store,ec,marketplace,catalog,dept_counter,app,call_center,other,manual"`
	Priority int    `json:"priority" doc:"Survivorship source priority; lower wins"`
}

// Location is a physical place: a store, a department-store counter, a warehouse.
type Location struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Channel    string  `json:"channel" doc:"Channel code the location belongs to"`
	Prefecture string  `json:"prefecture"`
	Address    string  `json:"address"`
	Latitude   float64 `json:"latitude"`
	Longitude  float64 `json:"longitude"`
}

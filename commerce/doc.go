// Package commerce holds what customers buy and what it costs: money in
// integer minor units with its currency, Japanese consumption tax (10 %
// standard, 8 % reduced) on tax-inclusive prices, and the product catalog
// with validated JAN codes. Orders, returns and shipments build on these.
// It has no storage or HTTP of its own.
package commerce

package identity

// SetReviewPage makes the review queue read n pairs at a time (tests).
func SetReviewPage(n int) func() {
	old := reviewPage
	reviewPage = n
	return func() { reviewPage = old }
}

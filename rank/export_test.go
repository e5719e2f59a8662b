package rank

// SetRankBlock makes RankProfiles rank n users at a time until restored.
func SetRankBlock(n int) (restore func()) {
	old := rankBlock
	rankBlock = n
	return func() { rankBlock = old }
}

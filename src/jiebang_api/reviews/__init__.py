"""Expert review: rounds, assignments, scores and the joint recommendation (第九条（五）)."""

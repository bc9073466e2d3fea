"""Where papers come from: the arXiv API (`arxiv_api`) and digests people already read
(`digests`). Each source returns DataFrames of the paper schema; the store keeps them."""

"""Where papers come from: the arXiv API (`arxiv_api`), digests people already read
(`digests`) and the person's own reference library (`library`). Each source returns
DataFrames of the paper schema (the library: its items); the store keeps them."""

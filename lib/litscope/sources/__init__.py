"""Where papers come from: arXiv's search API (`arxiv_api`), its daily listing feeds
(`announcements`), OAI-PMH (`oai`) and metadata snapshot (`snapshot`), all through one
polite client (`_http`) and calendar (`schedule`), digests people already read
(`digests`) and the person's own reference library (`library`). Each source returns
DataFrames of the paper schema (the library: its items); the store keeps them."""

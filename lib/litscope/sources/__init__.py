"""Where papers come from: arXiv's search API (`arxiv_api`), its daily listing feeds
(`announcements`), OAI-PMH (`oai`) and metadata snapshot (`snapshot`), all through one
polite client (`_http`) and calendar (`schedule`), and digests people already read
(`digests`). Each source returns DataFrames of the paper schema; the store keeps them."""

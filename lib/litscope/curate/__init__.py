"""Curating: summaries and translations through an LLM endpoint (`llm`, `summarize`),
topics, duplicates and exports."""
